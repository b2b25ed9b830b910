"""
The IR command step as the host hands it to an executor (docs/ir.md).

This is the wire view inside :class:`~harmont.protocol.ExecutorInput`, not the IR loader's
model: the IR package normalises both IR forms and produces these for dispatch.
"""

from __future__ import annotations

from typing import Final

import attrs

from harmont.protocol._scalars import U32
from harmont.protocol._value import OptionalValue

__all__ = ["CacheSpec", "CommandStep"]


@attrs.frozen(kw_only=True)
class CacheSpec:
    """
    The host-side view of a step's cache object.

    The DSL emits more fields (``env_keys``, ``paths``, ``sub_policies``...); the host only
    needs the policy name and the key computed at render time, and ignores the rest.
    """

    #: String
    policy: str
    #: Option<String>
    key: str | None = None


@attrs.frozen(kw_only=True)
class CommandStep:
    """
    One command step, after the host's patches (default image, merged env).

    In JSON an absent optional is written as ``null``, except ``runner`` and
    ``runner_args``, which are omitted: steps written before runners existed stay
    byte-identical.
    """

    #: String
    key: str
    #: String
    cmd: str
    #: Option<String>
    label: str | None = None
    #: Option<String>; ``None`` for a chain root.
    builds_in: str | None = None
    #: Option<String>
    image: str | None = None
    #: Option<BTreeMap<String, String>>
    env: dict[str, str] | None = None
    #: Option<u32>
    timeout_seconds: U32 | None = None
    #: Option<CacheSpec>
    cache: CacheSpec | None = None
    #: Option<String>; ``None`` means the default runner.
    runner: str | None = None
    #: Option<Value>; plugin-specific arguments.
    runner_args: OptionalValue = None


#: Fields of :class:`CommandStep` that JSON omits rather than writing ``null``.
OMIT_WHEN_NONE: Final = {CommandStep: ("runner", "runner_args")}
