"""
Golden values shared by the golden-byte tests and the Rust cross-check.

The bytes in ``test_golden.py`` are written out by hand from docs/protocol.md; the Rust program
in ``rust_golden/`` builds these same values with the ``borsh`` crate.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Final

from harmont import protocol as p

UUID_A: Final = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
UUID_B: Final = uuid.UUID("ffeeddcc-bbaa-9988-7766-554433221100")
#: 1_700_000_000_123 ms after the epoch.
TS: Final = datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=datetime.UTC)

MANIFEST: Final = p.PluginManifest(
    api_version=2,
    name="demo",
    version="1.2.3",
    description="d",
    capabilities=(
        p.SubcommandSpec(
            verb="cloud",
            about="a",
            args=(
                p.PositionalArg(name="n", required=True, value_type=p.ValueType.INT),
                p.OptionArg(
                    long="org",
                    short="o",
                    help="h",
                    required=False,
                    value_type=p.ValueType.STRING,
                    default="x",
                ),
                p.FlagArg(long="v"),
            ),
            subcommands=(
                p.SubcommandSpec(
                    verb="ls",
                    about="",
                    args=(
                        p.PositionalListArg(name="paths", help="p", value_type=p.ValueType.STRING),
                    ),
                    subcommands=(),
                ),
            ),
        ),
        p.StepExecutorSpec(runner="docker", default=True),
        p.LifecycleHookSpec(
            events=(p.HookEventKind.BUILD_START, p.HookEventKind.STEP_END),
            phase=p.HookPhase.AFTER,
            timeout_ms=30000,
        ),
    ),
    config_schema={"k": 1},
)

EXECUTOR_INPUT: Final = p.ExecutorInput(
    step=p.CommandStep(
        key="b",
        cmd="make",
        builds_in="a",
        image="alpine",
        env={"Y": "2", "X": "1"},
        timeout_seconds=60,
        cache=p.CacheSpec(policy="ttl", key="k1"),
        runner="docker",
    ),
    workspace_archive_id=UUID_A,
    env={"HOME": "/root"},
    workdir="/workspace",
    run_id=UUID_B,
    step_id=UUID_A,
    cache_lookup=p.CacheMissBuildAs(tag="t"),
)

STEP_RESULT: Final = p.StepResult(
    exit_code=-1,
    committed_snapshot="img:1",
    artifacts=(p.ArtifactRef(key="log", mime="text/plain", size_bytes=1234),),
)

SUBCOMMAND_INPUT: Final = p.SubcommandInput(
    verb_path=("cloud", "ls"), args=[None, True, -2, 1.5, "s", [], {}], env={}
)

EVENTS: Final[dict[str, Any]] = {
    "build_start": p.BuildStart(
        run_id=UUID_A,
        plan=p.PlanSummary(step_count=3, chain_count=2, default_runner="docker"),
        started_at=TS,
    ),
    "step_queued": p.StepQueued(step_id=UUID_A, key="k", chain_idx=1),
    "step_start": p.StepStart(step_id=UUID_A, runner="local"),
    "step_log": p.StepLog(step_id=UUID_A, stream=p.StdStream.STDERR, line="hi", ts=TS),
    "step_cache_hit": p.StepCacheHit(step_id=UUID_A, key="ck", tag="t"),
    "step_end": p.StepEnd(step_id=UUID_A, exit_code=2, duration_ms=1234, snapshot="s"),
    "chain_failed": p.ChainFailed(
        chain_idx=4, failed_step_id=UUID_B, failed_step_key="k", exit_code=1, message="boom", ts=TS
    ),
    "build_end": p.BuildEnd(exit_code=0, duration_ms=5),
}

#: Every golden value by name, with the type to decode it as.
GOLDEN: Final[dict[str, tuple[Any, Any]]] = {
    "manifest": (p.PluginManifest, MANIFEST),
    "executor_input": (p.ExecutorInput, EXECUTOR_INPUT),
    "step_result": (p.StepResult, STEP_RESULT),
    "subcommand_input": (p.SubcommandInput, SUBCOMMAND_INPUT),
    **{f"event_{kind}": (p.BuildEvent, event) for kind, event in EVENTS.items()},
}
