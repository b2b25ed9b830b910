"""
harmont_sdk: what a plugin author imports to write a harmont plugin.

It builds only on harmont's public API (``harmont``, ``harmont.protocol``,
``harmont.hookspecs``), so a plugin written against it keeps working as harmont's
internals move. Everything a plugin needs is importable from here: the protocol types,
:class:`PluginContext`, the ``hookimpl`` marker, the capability base classes, the manifest
builders and :class:`PluginRuntimeError` for reporting a failure with a stable ``code``.
The pytest plugin lives in :mod:`harmont_sdk.testing` and is opt-in.
"""

from __future__ import annotations

from harmont import PluginContext as PluginContext
from harmont import PluginRuntimeError as PluginRuntimeError
from harmont.hookspecs import hookimpl as hookimpl
from harmont.protocol import API_VERSION as API_VERSION
from harmont.protocol import ArgSpec as ArgSpec
from harmont.protocol import ArtifactRef as ArtifactRef
from harmont.protocol import BuildEnd as BuildEnd
from harmont.protocol import BuildEvent as BuildEvent
from harmont.protocol import BuildStart as BuildStart
from harmont.protocol import CacheDecision as CacheDecision
from harmont.protocol import CacheHit as CacheHit
from harmont.protocol import CacheMissBuildAs as CacheMissBuildAs
from harmont.protocol import CacheMissNoCommit as CacheMissNoCommit
from harmont.protocol import CacheSpec as CacheSpec
from harmont.protocol import Capability as Capability
from harmont.protocol import ChainFailed as ChainFailed
from harmont.protocol import CommandStep as CommandStep
from harmont.protocol import ExecutorInput as ExecutorInput
from harmont.protocol import ExitInfo as ExitInfo
from harmont.protocol import FlagArg as FlagArg
from harmont.protocol import HookAbort as HookAbort
from harmont.protocol import HookContinue as HookContinue
from harmont.protocol import HookEvent as HookEvent
from harmont.protocol import HookEventKind as HookEventKind
from harmont.protocol import HookOutcome as HookOutcome
from harmont.protocol import HookPhase as HookPhase
from harmont.protocol import KvScope as KvScope
from harmont.protocol import Level as Level
from harmont.protocol import LifecycleHookSpec as LifecycleHookSpec
from harmont.protocol import OptionArg as OptionArg
from harmont.protocol import PlanSummary as PlanSummary
from harmont.protocol import PluginError as PluginError
from harmont.protocol import PluginManifest as PluginManifest
from harmont.protocol import PositionalArg as PositionalArg
from harmont.protocol import PositionalListArg as PositionalListArg
from harmont.protocol import StdStream as StdStream
from harmont.protocol import StepCacheHit as StepCacheHit
from harmont.protocol import StepEnd as StepEnd
from harmont.protocol import StepExecutorSpec as StepExecutorSpec
from harmont.protocol import StepLog as StepLog
from harmont.protocol import StepQueued as StepQueued
from harmont.protocol import StepResult as StepResult
from harmont.protocol import StepStart as StepStart
from harmont.protocol import SubcommandInput as SubcommandInput
from harmont.protocol import SubcommandSpec as SubcommandSpec
from harmont.protocol import Value as Value
from harmont.protocol import ValueType as ValueType
from harmont_sdk._bases import LifecycleHook as LifecycleHook
from harmont_sdk._bases import Plugin as Plugin
from harmont_sdk._bases import StepExecutor as StepExecutor
from harmont_sdk._bases import Subcommand as Subcommand
from harmont_sdk._builders import executor as executor
from harmont_sdk._builders import flag as flag
from harmont_sdk._builders import hook as hook
from harmont_sdk._builders import manifest as manifest
from harmont_sdk._builders import option as option
from harmont_sdk._builders import positional as positional
from harmont_sdk._builders import spec_from_command as spec_from_command
from harmont_sdk._builders import subcommand as subcommand

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
    "LifecycleHook",
    "LifecycleHookSpec",
    "OptionArg",
    "PlanSummary",
    "Plugin",
    "PluginContext",
    "PluginError",
    "PluginManifest",
    "PluginRuntimeError",
    "PositionalArg",
    "PositionalListArg",
    "StdStream",
    "StepCacheHit",
    "StepEnd",
    "StepExecutor",
    "StepExecutorSpec",
    "StepLog",
    "StepQueued",
    "StepResult",
    "StepStart",
    "Subcommand",
    "SubcommandInput",
    "SubcommandSpec",
    "Value",
    "ValueType",
    "executor",
    "flag",
    "hook",
    "hookimpl",
    "manifest",
    "option",
    "positional",
    "spec_from_command",
    "subcommand",
]
