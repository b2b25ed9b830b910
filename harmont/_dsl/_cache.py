"""
Cache policies: when a step's snapshot may be reused instead of running the step again.

A policy is plain data attached to a step with ``.sh(cache=...)``. :func:`cache_ir` turns it
into the IR's ``cache`` object; the cache key itself is computed later, at render time,
because it depends on inputs the program does not know (org, clock, files on disk), see
``_cachekey``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from harmont._dsl._duration import parse_duration

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "cache_ir",
    "compose",
    "forever",
    "on_change",
    "ttl",
]


def _names(value: Iterable[str], what: str) -> tuple[str, ...]:
    # A bare string is iterable too: forever("HOME") would watch H, O, M and E.
    if isinstance(value, str):
        raise TypeError(f"{what} must be a tuple of strings, got the string {value!r}")
    return tuple(value)


def _env_keys(value: Iterable[str]) -> tuple[str, ...]:
    return _names(value, "env_keys")


def _paths(value: Iterable[str]) -> tuple[str, ...]:
    return _names(value, "hm.on_change paths")


def _policies(value: Iterable[CachePolicy]) -> tuple[CachePolicy, ...]:
    policies = tuple(value)
    for policy in policies:
        if not isinstance(policy, CachePolicy):
            raise TypeError(f"hm.compose: expected cache policies, got {policy!r}")
    return policies


def _check_duration(_instance: object, _field: object, value: Any) -> None:
    # 0.0.9 takes only a timedelta (a string or a number fails when it renders): refuse the
    # rest at once, spelling the timedelta the caller meant where it can be read.
    if not isinstance(value, timedelta):
        raise TypeError(
            f"hm.ttl takes a datetime.timedelta, got {type(value).__name__} {value!r}: "
            f"write hm.ttl({_as_timedelta(value)}), with from datetime import timedelta"
        )
    # Keys bucket the clock by whole seconds (now // seconds): under one second there is
    # no bucket to speak of.
    if int(value.total_seconds()) < 1:
        raise ValueError(f"hm.ttl: duration must be at least one second, got {value!r}")


def _as_timedelta(value: object) -> str:
    """``value`` (``"1h"``, ``3600``) as timedelta source, or an example when it means nothing."""
    try:
        seconds = parse_duration(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "timedelta(hours=1)"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0:
            return f"timedelta({unit}={seconds // size})"
    return f"timedelta(seconds={seconds})"


@attrs.frozen(kw_only=True)
class CachePolicy:
    """The base of every cache policy; build one with the helpers (``hm.ttl``...)."""


@attrs.frozen(kw_only=True)
class CacheNone(CachePolicy):
    """Never reuse: the step always runs, as it does with no policy at all."""


@attrs.frozen(kw_only=True)
class CacheForever(CachePolicy):
    """Reuse for as long as the command, the parent and the watched variables are unchanged."""

    #: Names of render-environment variables whose values are part of the key.
    env_keys: tuple[str, ...] = attrs.field(default=(), converter=_env_keys)


@attrs.frozen(kw_only=True)
class CacheTTL(CachePolicy):
    """Reuse within one window of ``duration``; windows are aligned on the Unix epoch."""

    duration: timedelta = attrs.field(validator=_check_duration)
    #: Names of render-environment variables whose values are part of the key.
    env_keys: tuple[str, ...] = attrs.field(default=(), converter=_env_keys)


@attrs.frozen(kw_only=True)
class CacheOnChange(CachePolicy):
    """Reuse until the content of any watched path changes (paths relative to the repo root)."""

    paths: tuple[str, ...] = attrs.field(converter=_paths)


@attrs.frozen(kw_only=True)
class CacheCompose(CachePolicy):
    """Reuse only while every sub-policy would reuse (e.g. daily *and* on lock-file change)."""

    policies: tuple[CachePolicy, ...] = attrs.field(converter=_policies)


def ttl(duration: timedelta) -> CacheTTL:
    """
    Reuse the step's snapshot within windows of ``duration``.

    :param duration: the window length, at least one second.
    """
    return CacheTTL(duration=duration)


def on_change(*paths: str) -> CacheOnChange:
    """
    Reuse the step's snapshot until a file under one of ``paths`` changes.

    :param paths: files, directories or glob patterns, relative to the repository root.
    """
    return CacheOnChange(paths=paths)


def forever(env_keys: tuple[str, ...] = ()) -> CacheForever:
    """
    Reuse the step's snapshot for as long as its command and parent are unchanged.

    Only for steps whose command pins everything it fetches; mutable downloads need ``ttl``.

    :param env_keys: variables of the render environment that are part of the key.
    """
    return CacheForever(env_keys=env_keys)


def compose(*policies: CachePolicy) -> CacheCompose:
    """
    Reuse the step's snapshot only while every one of ``policies`` would.

    :param policies: the policies to combine.
    """
    return CacheCompose(policies=policies)


def cache_ir(policy: CachePolicy) -> dict[str, Any]:
    """
    Return the IR ``cache`` object of ``policy``, without its key.

    :raises TypeError: for the bare :class:`CachePolicy` base or a foreign subclass.
    """
    match policy:
        case CacheNone():
            return {"policy": "none"}
        case CacheForever(env_keys=env_keys):
            return {"policy": "forever", "env_keys": list(env_keys)}
        case CacheTTL(duration=duration, env_keys=env_keys):
            return {
                "policy": "ttl",
                "duration_seconds": int(duration.total_seconds()),
                "env_keys": list(env_keys),
            }
        case CacheOnChange(paths=paths):
            return {"policy": "on_change", "paths": list(paths)}
        case CacheCompose(policies=policies):
            return {"policy": "compose", "sub_policies": [cache_ir(sub) for sub in policies]}
    raise TypeError(
        f"unknown cache policy {type(policy).__name__}: use hm.ttl, hm.on_change, hm.forever, "
        "hm.compose or hm.CacheNone"
    )
