"""
Durations as the DSL accepts them: ``"1h30m"``, whole seconds, or a ``timedelta``.

``hm.timeout`` and the pipeline-level ``timeout=`` both go through :func:`parse_duration`,
so the two accept exactly the same spellings and reject the same mistakes.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

# One or more <digits><unit> segments and nothing else; units may repeat ("1m1m" is 120 s),
# as harmont 0.0.9 accepts them.
_WHOLE = re.compile(r"(?:\d+[hms])+")
_SEGMENT = re.compile(r"(\d+)([hms])")
_SECONDS_PER_UNIT = {"h": 3600, "m": 60, "s": 1}


def parse_duration(value: str | int | timedelta) -> int:
    """
    Return ``value`` as a positive whole number of seconds.

    :param value: ``"30s"``, ``"5m"``, ``"1h30m"``, an ``int`` of seconds or a ``timedelta``.
    :returns: the duration in seconds, always at least 1.
    :raises TypeError: for any other type (``bool`` included, though it is an ``int``).
    :raises ValueError: for a malformed string or a duration under one second.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | timedelta):
        raise TypeError(
            "timeout duration must be a str like '30s', an int of seconds or a timedelta, "
            f"got {type(value).__name__} {value!r}"
        )
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
    elif isinstance(value, int):
        seconds = value
    else:
        text = value.strip()
        if not _WHOLE.fullmatch(text):
            raise ValueError(
                f"timeout duration {value!r} is not a duration like '30s', '5m' or '1h30m' "
                "(units h, m, s)"
            )
        seconds = sum(
            int(count) * _SECONDS_PER_UNIT[unit] for count, unit in _SEGMENT.findall(text)
        )
    if seconds <= 0:
        raise ValueError(f"timeout duration must be at least one second, got {value!r}")
    return seconds
