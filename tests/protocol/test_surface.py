"""The public surface of harmont.protocol: its names, its classes, its import cost."""

from __future__ import annotations

import subprocess
import sys
import typing

import attrs
import pytest

from harmont import protocol as p

EXPECTED_NAMES = [
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

_CLASSES = [getattr(p, name) for name in p.__all__ if attrs.has(getattr(p, name))]


def test_exported_names() -> None:
    """__all__ lists exactly the agreed names, and each one resolves."""
    assert EXPECTED_NAMES == sorted(p.__all__)
    assert all(getattr(p, name) is not None for name in p.__all__)


def test_command_step_field_order() -> None:
    """CommandStep's fields come in the order of docs/protocol.md, which is its borsh order."""
    expected = [
        "key",
        "cmd",
        "label",
        "builds_in",
        "image",
        "env",
        "timeout_seconds",
        "cache",
        "runner",
        "runner_args",
    ]

    assert expected == [field.name for field in attrs.fields(p.CommandStep)]


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda cls: cls.__name__)
def test_classes_are_frozen_and_keyword_only(cls: type) -> None:
    """Every wire class is immutable and built with keyword arguments only."""
    fields = attrs.fields(cls)

    assert all(field.kw_only for field in fields)
    assert cls.__setattr__ is not object.__setattr__


@pytest.mark.parametrize(
    "union", [p.BuildEvent, p.Capability, p.ArgSpec, p.CacheDecision, p.HookOutcome]
)
def test_union_variants_carry_their_tag(union: object) -> None:
    """Each variant names its JSON tag in KIND, and the tags are unique within the union."""
    kinds = [variant.KIND for variant in typing.get_args(union)]

    assert len(set(kinds)) == len(kinds)


def test_import_is_cheap() -> None:
    """Importing harmont.protocol pulls in neither cattrs nor borsh-construct."""
    code = (
        "import sys, harmont.protocol; "
        "print(sorted(m for m in ('cattrs', 'borsh_construct', 'construct') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert "[]\n" == out.stdout
