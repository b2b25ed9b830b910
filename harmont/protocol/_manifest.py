"""
What a plugin declares about itself at load time (docs/protocol.md).

``Capability`` and ``ArgSpec`` are unions of classes: each variant is its own frozen class
carrying its JSON tag in ``KIND``, and its borsh variant index is its position in the
union alias.
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias

import attrs

from harmont.protocol._enums import HookEventKind, HookPhase, ValueType
from harmont.protocol._scalars import U32, Char, Semver
from harmont.protocol._value import OptionalValue

__all__ = [
    "ArgSpec",
    "Capability",
    "FlagArg",
    "LifecycleHookSpec",
    "OptionArg",
    "PluginManifest",
    "PositionalArg",
    "PositionalListArg",
    "StepExecutorSpec",
    "SubcommandSpec",
]


@attrs.frozen(kw_only=True)
class PositionalArg:
    """A positional argument of a plugin subcommand."""

    KIND: ClassVar[str] = "positional"

    #: String
    name: str
    #: Option<String>
    help: str | None = None
    #: bool
    required: bool
    #: ValueType
    value_type: ValueType


@attrs.frozen(kw_only=True)
class OptionArg:
    """A ``--long VALUE`` option of a plugin subcommand, optionally with a ``-s`` short form."""

    KIND: ClassVar[str] = "option"

    #: String
    long: str
    #: Option<char>: a one-character string.
    short: Char | None = None
    #: Option<String>
    help: str | None = None
    #: bool
    required: bool
    #: ValueType
    value_type: ValueType
    #: Option<String>
    default: str | None = None


@attrs.frozen(kw_only=True)
class FlagArg:
    """A boolean ``--long`` flag of a plugin subcommand."""

    KIND: ClassVar[str] = "flag"

    #: String
    long: str
    #: Option<char>: a one-character string.
    short: Char | None = None
    #: Option<String>
    help: str | None = None


@attrs.frozen(kw_only=True)
class PositionalListArg:
    """
    The last positional argument of a subcommand, taking every remaining word: the
    plugin gets a list, possibly empty (``hm VERB a b c``).

    A variant of its own, appended to ``ArgSpec`` (borsh index 3) rather than a field of
    :class:`PositionalArg`: a manifest that does not use it encodes exactly as before,
    so plugins built against this ``api_version`` stay valid (a new required field
    would have changed every manifest's layout and the version with it).

    .. versionadded:: 2
    """

    KIND: ClassVar[str] = "positional_list"

    #: String
    name: str
    #: Option<String>
    help: str | None = None
    #: ValueType: of each item.
    value_type: ValueType


#: One argument of a subcommand (JSON tag ``kind``; borsh index = position here).
ArgSpec: TypeAlias = PositionalArg | OptionArg | FlagArg | PositionalListArg


@attrs.frozen(kw_only=True)
class SubcommandSpec:
    """A verb the plugin adds under ``hm`` (or, nested, under its parent verb)."""

    KIND: ClassVar[str] = "subcommand"

    #: String
    verb: str
    #: String
    about: str
    #: Vec<ArgSpec>
    args: tuple[ArgSpec, ...]
    #: Vec<SubcommandSpec>
    subcommands: tuple[SubcommandSpec, ...]


@attrs.frozen(kw_only=True)
class StepExecutorSpec:
    """A runner the plugin provides; ``default`` makes it run steps that name no runner."""

    KIND: ClassVar[str] = "step_executor"

    #: String, matched against ``CommandStep.runner``.
    runner: str
    #: bool; at most one plugin system-wide may set it.
    default: bool
    #: Option<Value>: JSON Schema for ``CommandStep.runner_args``.
    step_schema: OptionalValue = None


@attrs.frozen(kw_only=True)
class LifecycleHookSpec:
    """A subscription to build events, in one phase, with a per-call time limit."""

    KIND: ClassVar[str] = "lifecycle_hook"

    #: Vec<HookEventKind>
    events: tuple[HookEventKind, ...]
    #: HookPhase
    phase: HookPhase
    #: u32
    timeout_ms: U32


#: One thing a plugin provides (JSON tag ``kind``; borsh index = position here).
Capability: TypeAlias = SubcommandSpec | StepExecutorSpec | LifecycleHookSpec


@attrs.frozen(kw_only=True)
class PluginManifest:
    """
    A plugin's declaration of itself, read once at load time.

    ``api_version`` comes first on the wire so a host can check it before decoding the
    rest of a manifest built against another layout.
    """

    #: u32; must equal :data:`~harmont.protocol.API_VERSION`.
    api_version: U32
    #: String: the registry key and the name in error messages.
    name: str
    #: semver::Version, as its string form.
    version: Semver
    #: String
    description: str
    #: Vec<Capability>; must not be empty.
    capabilities: tuple[Capability, ...]
    #: Option<Value>: JSON Schema of the plugin's config in ``.harmont/plugins.toml``.
    config_schema: OptionalValue = None
