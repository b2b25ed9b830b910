"""Hypothesis strategies for every protocol type, in one place (attrs' tests/strategies.py)."""

from __future__ import annotations

import datetime
from typing import Any, Final

from hypothesis import strategies as st

from harmont import protocol as p

EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MIN_MS: Final = (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC) - EPOCH) // datetime.timedelta(
    milliseconds=1
)
_MAX_MS: Final = (
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.UTC) - EPOCH
) // datetime.timedelta(milliseconds=1)

# Lone surrogates cannot be UTF-8 encoded; neither codec carries them.
chars = st.characters(exclude_categories=("Cs",))
text = st.text(chars, max_size=12)
u32 = st.integers(0, 2**32 - 1)
u64 = st.integers(0, 2**64 - 1)
i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
uuids = st.uuids()
#: Millisecond precision: the borsh wire carries i64 milliseconds.
timestamps = st.integers(_MIN_MS, _MAX_MS).map(
    lambda ms: EPOCH + datetime.timedelta(milliseconds=ms)
)
_numeric_id = st.integers(0, 10**6).map(str)
_alnum_id = st.from_regex(r"[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*", fullmatch=True).filter(bool)
semvers = st.builds(
    lambda core, pre, build: (
        ".".join(core)
        + (f"-{'.'.join(pre)}" if pre else "")
        + (f"+{'.'.join(build)}" if build else "")
    ),
    st.lists(_numeric_id, min_size=3, max_size=3),
    st.lists(_numeric_id | _alnum_id, max_size=2),
    st.lists(st.from_regex(r"[0-9A-Za-z-]+", fullmatch=True), max_size=2),
)
#: Finite floats only: JSON writes a non-finite float as null, so it cannot round-trip.
values: st.SearchStrategy[p.Value] = st.recursive(
    st.none() | st.booleans() | i64 | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)
envs = st.dictionaries(text, text, max_size=4)


def _tuples(elements: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(elements, max_size=3).map(tuple)


cache_specs = st.builds(p.CacheSpec, policy=text, key=st.none() | text)
command_steps = st.builds(
    p.CommandStep,
    key=text,
    cmd=text,
    label=st.none() | text,
    builds_in=st.none() | text,
    image=st.none() | text,
    env=st.none() | envs,
    timeout_seconds=st.none() | u32,
    cache=st.none() | cache_specs,
    runner=st.none() | text,
    runner_args=values,
)

positional_args = st.builds(
    p.PositionalArg,
    name=text,
    help=st.none() | text,
    required=st.booleans(),
    value_type=st.sampled_from(p.ValueType),
)
option_args = st.builds(
    p.OptionArg,
    long=text,
    short=st.none() | chars,
    help=st.none() | text,
    required=st.booleans(),
    value_type=st.sampled_from(p.ValueType),
    default=st.none() | text,
)
flag_args = st.builds(p.FlagArg, long=text, short=st.none() | chars, help=st.none() | text)
positional_list_args = st.builds(
    p.PositionalListArg,
    name=text,
    help=st.none() | text,
    value_type=st.sampled_from(p.ValueType),
)
arg_specs = positional_args | option_args | flag_args | positional_list_args
subcommand_specs = st.recursive(
    st.builds(
        p.SubcommandSpec, verb=text, about=text, args=_tuples(arg_specs), subcommands=st.just(())
    ),
    lambda children: st.builds(
        p.SubcommandSpec,
        verb=text,
        about=text,
        args=_tuples(arg_specs),
        subcommands=_tuples(children),
    ),
    max_leaves=4,
)
step_executor_specs = st.builds(
    p.StepExecutorSpec, runner=text, default=st.booleans(), step_schema=values
)
lifecycle_hook_specs = st.builds(
    p.LifecycleHookSpec,
    events=_tuples(st.sampled_from(p.HookEventKind)),
    phase=st.sampled_from(p.HookPhase),
    timeout_ms=u32,
)
capabilities = subcommand_specs | step_executor_specs | lifecycle_hook_specs
plugin_manifests = st.builds(
    p.PluginManifest,
    api_version=u32,
    name=text,
    version=semvers,
    description=text,
    capabilities=_tuples(capabilities),
    config_schema=values,
)

cache_decisions = (
    st.builds(p.CacheHit, tag=text)
    | st.builds(p.CacheMissBuildAs, tag=text)
    | st.just(p.CacheMissNoCommit())
)
executor_inputs = st.builds(
    p.ExecutorInput,
    step=command_steps,
    workspace_archive_id=uuids,
    env=envs,
    workdir=text,
    run_id=uuids,
    step_id=uuids,
    cache_lookup=cache_decisions,
    parent_snapshot=st.none() | text,
)
artifact_refs = st.builds(p.ArtifactRef, key=text, mime=text, size_bytes=u64)
step_results = st.builds(
    p.StepResult,
    exit_code=i32,
    committed_snapshot=st.none() | text,
    artifacts=_tuples(artifact_refs),
)

plan_summaries = st.builds(p.PlanSummary, step_count=u64, chain_count=u64, default_runner=text)
build_events = st.one_of(
    st.builds(p.BuildStart, run_id=uuids, plan=plan_summaries, started_at=timestamps),
    st.builds(p.StepQueued, step_id=uuids, key=text, chain_idx=u64),
    st.builds(p.StepStart, step_id=uuids, runner=text, image=st.none() | text),
    st.builds(
        p.StepLog, step_id=uuids, stream=st.sampled_from(p.StdStream), line=text, ts=timestamps
    ),
    st.builds(p.StepCacheHit, step_id=uuids, key=text, tag=text),
    st.builds(p.StepEnd, step_id=uuids, exit_code=i32, duration_ms=u64, snapshot=st.none() | text),
    st.builds(
        p.ChainFailed,
        chain_idx=u64,
        failed_step_id=uuids,
        failed_step_key=text,
        exit_code=i32,
        message=text,
        ts=timestamps,
    ),
    st.builds(p.BuildEnd, exit_code=i32, duration_ms=u64),
)
hook_events = st.builds(p.HookEvent, event=build_events, phase=st.sampled_from(p.HookPhase))
hook_outcomes = st.just(p.HookContinue()) | st.builds(p.HookAbort, reason=text)
subcommand_inputs = st.builds(p.SubcommandInput, verb_path=_tuples(text), args=values, env=envs)
exit_infos = st.builds(p.ExitInfo, exit_code=i32, message=st.none() | text)
plugin_errors = st.builds(p.PluginError, code=text, message=text, doc_url=st.none() | text)

#: Every top-level wire type (class or union alias) with the strategy that generates it.
BY_TYPE: Final[dict[str, tuple[Any, st.SearchStrategy[Any]]]] = {
    "CacheSpec": (p.CacheSpec, cache_specs),
    "CommandStep": (p.CommandStep, command_steps),
    "ArgSpec": (p.ArgSpec, arg_specs),
    "SubcommandSpec": (p.SubcommandSpec, subcommand_specs),
    "Capability": (p.Capability, capabilities),
    "PluginManifest": (p.PluginManifest, plugin_manifests),
    "CacheDecision": (p.CacheDecision, cache_decisions),
    "ExecutorInput": (p.ExecutorInput, executor_inputs),
    "ArtifactRef": (p.ArtifactRef, artifact_refs),
    "StepResult": (p.StepResult, step_results),
    "PlanSummary": (p.PlanSummary, plan_summaries),
    "BuildEvent": (p.BuildEvent, build_events),
    "HookEvent": (p.HookEvent, hook_events),
    "HookOutcome": (p.HookOutcome, hook_outcomes),
    "SubcommandInput": (p.SubcommandInput, subcommand_inputs),
    "ExitInfo": (p.ExitInfo, exit_infos),
    "PluginError": (p.PluginError, plugin_errors),
}
