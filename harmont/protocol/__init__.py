"""
The wire protocol every plugin speaks, Python or native (docs/protocol.md).

Each type is a frozen attrs class whose field order is its borsh field order; the ``#:``
comment on each field names its Rust type. Tagged enums (``BuildEvent``, ``Capability``,
``ArgSpec``, ``CacheDecision``, ``HookOutcome``) are unions of classes, one per variant,
each with its JSON tag in ``KIND``; a variant's borsh index is its position in the union.

Two codecs, one entry point each way: :func:`to_json`/:func:`from_json` (serde's JSON
shapes; :func:`to_dict`/:func:`from_dict` for the same shapes as plain data) and
:func:`to_borsh`/:func:`from_borsh` (the FFI payloads). Decoders take a class or a union
alias (``from_borsh(BuildEvent, data)``) and raise :class:`harmont.DecodeError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harmont._lazy import lazy_getattr
from harmont.protocol._enums import HookEventKind as HookEventKind
from harmont.protocol._enums import HookPhase as HookPhase
from harmont.protocol._enums import KvScope as KvScope
from harmont.protocol._enums import Level as Level
from harmont.protocol._enums import StdStream as StdStream
from harmont.protocol._enums import ValueType as ValueType
from harmont.protocol._events import BuildEnd as BuildEnd
from harmont.protocol._events import BuildEvent as BuildEvent
from harmont.protocol._events import BuildStart as BuildStart
from harmont.protocol._events import ChainFailed as ChainFailed
from harmont.protocol._events import PlanSummary as PlanSummary
from harmont.protocol._events import StepCacheHit as StepCacheHit
from harmont.protocol._events import StepEnd as StepEnd
from harmont.protocol._events import StepLog as StepLog
from harmont.protocol._events import StepQueued as StepQueued
from harmont.protocol._events import StepStart as StepStart
from harmont.protocol._execution import ArtifactRef as ArtifactRef
from harmont.protocol._execution import CacheDecision as CacheDecision
from harmont.protocol._execution import CacheHit as CacheHit
from harmont.protocol._execution import CacheMissBuildAs as CacheMissBuildAs
from harmont.protocol._execution import CacheMissNoCommit as CacheMissNoCommit
from harmont.protocol._execution import ExecutorInput as ExecutorInput
from harmont.protocol._execution import StepResult as StepResult
from harmont.protocol._hooks import HookAbort as HookAbort
from harmont.protocol._hooks import HookContinue as HookContinue
from harmont.protocol._hooks import HookEvent as HookEvent
from harmont.protocol._hooks import HookOutcome as HookOutcome
from harmont.protocol._ir import CacheSpec as CacheSpec
from harmont.protocol._ir import CommandStep as CommandStep
from harmont.protocol._manifest import ArgSpec as ArgSpec
from harmont.protocol._manifest import Capability as Capability
from harmont.protocol._manifest import FlagArg as FlagArg
from harmont.protocol._manifest import LifecycleHookSpec as LifecycleHookSpec
from harmont.protocol._manifest import OptionArg as OptionArg
from harmont.protocol._manifest import PluginManifest as PluginManifest
from harmont.protocol._manifest import PositionalArg as PositionalArg
from harmont.protocol._manifest import PositionalListArg as PositionalListArg
from harmont.protocol._manifest import StepExecutorSpec as StepExecutorSpec
from harmont.protocol._manifest import SubcommandSpec as SubcommandSpec
from harmont.protocol._value import Value as Value

if TYPE_CHECKING:
    from harmont.protocol._borsh import from_borsh as from_borsh
    from harmont.protocol._borsh import to_borsh as to_borsh
    from harmont.protocol._json import from_dict as from_dict
    from harmont.protocol._json import from_json as from_json
    from harmont.protocol._json_encode import to_dict as to_dict
    from harmont.protocol._json_encode import to_json as to_json
    from harmont.protocol._subcommand import ExitInfo as ExitInfo
    from harmont.protocol._subcommand import PluginError as PluginError
    from harmont.protocol._subcommand import SubcommandInput as SubcommandInput

__all__ = [
    "API_VERSION",
    "ArgSpec",
    "ArtifactRef",
    "BuildEnd",
    "BuildEvent",
    "BuildStart",
    "CacheDecision",
    "CacheHit",
    "CacheMissBuildAs",
    "CacheMissNoCommit",
    "CacheSpec",
    "Capability",
    "ChainFailed",
    "CommandStep",
    "ExecutorInput",
    "ExitInfo",
    "FlagArg",
    "HookAbort",
    "HookContinue",
    "HookEvent",
    "HookEventKind",
    "HookOutcome",
    "HookPhase",
    "KvScope",
    "Level",
    "LifecycleHookSpec",
    "OptionArg",
    "PlanSummary",
    "PluginError",
    "PluginManifest",
    "PositionalArg",
    "PositionalListArg",
    "StdStream",
    "StepCacheHit",
    "StepEnd",
    "StepExecutorSpec",
    "StepLog",
    "StepQueued",
    "StepResult",
    "StepStart",
    "SubcommandInput",
    "SubcommandSpec",
    "Value",
    "ValueType",
    "from_borsh",
    "from_dict",
    "from_json",
    "to_borsh",
    "to_dict",
    "to_json",
]

#: The plugin API version; bumped on any new required field in any wire type.
API_VERSION: Final = 2

#: Loaded on first use: the codecs (the JSON decoder pulls in cattrs, the borsh codec builds
#: a schema of every wire type), which `hm --help` and the local runner need neither of;
#: and the types of plugin verbs, which only `hm VERB` of a plugin and the codecs use.
_LAZY: Final = {
    "from_borsh": "harmont.protocol._borsh",
    "to_borsh": "harmont.protocol._borsh",
    "from_dict": "harmont.protocol._json",
    "from_json": "harmont.protocol._json",
    "to_dict": "harmont.protocol._json_encode",
    "to_json": "harmont.protocol._json_encode",
    "ExitInfo": "harmont.protocol._subcommand",
    "PluginError": "harmont.protocol._subcommand",
    "SubcommandInput": "harmont.protocol._subcommand",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
