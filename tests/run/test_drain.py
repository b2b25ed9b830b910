"""Fail-fast's drain: what it holds back runs once the cancelled chains stop, unless cancelled."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Final

from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import run_bounded

if TYPE_CHECKING:
    from pathlib import Path

    import harmont
    from harmont import PluginContext
    from harmont.protocol import ExecutorInput

#: How long the sluggish step lingers after fail-fast's stop: ample for the scheduler to
#: see the failed chain end and hold what waits behind it (a few milliseconds' work).
_LINGER_SECONDS: Final = 0.3


class _Sluggish(StepExecutor):
    """
    Runner ``sluggish``: runs until the build's stop, lingers, then presses Ctrl-C (sets
    *cancel*) and reports itself cancelled, so the build is cancelled while it drains.
    """

    manifest = manifest("sluggish-plugin", "1.0.0", executor("sluggish"))

    def __init__(self, started: threading.Event, cancel: threading.Event | None) -> None:
        self._started = started
        self._cancel = cancel

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        self._started.set()
        while not context.should_cancel():
            time.sleep(0.01)
        time.sleep(_LINGER_SECONDS)
        if self._cancel is not None:
            self._cancel.set()
        return StepResult(exit_code=130)


class _FailsOnceSlowRuns(StepExecutor):
    """Runner ``gate``: fails its step once ``slow`` runs, so fail-fast has a chain to stop."""

    manifest = manifest("gate-plugin", "1.0.0", executor("gate"))

    def __init__(self, started: threading.Event) -> None:
        self._started = started

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        assert self._started.wait(20), "the sluggish step never started"
        return StepResult(exit_code=1)


def _plugins(cancel: threading.Event | None) -> list[StepExecutor]:
    started = threading.Event()
    return [_Sluggish(started, cancel), _FailsOnceSlowRuns(started)]


def _pipeline() -> dict[str, Any]:
    """``fail`` fails, ``slow`` runs until stopped, ``after`` waits on ``fail`` (passed or not)."""
    return {
        "version": "0",
        "graph": {
            "nodes": [
                {"step": {"key": "fail", "cmd": "ignored", "runner": "gate"}},
                {"step": {"key": "slow", "cmd": "ignored", "runner": "sluggish"}},
                {"step": {"key": "after", "cmd": "true"}},
            ],
            "node_holes": [],
            "edge_property": "directed",
            "edges": [[0, 2, "after"]],
        },
    }


def _statuses(result: harmont.BuildResult) -> dict[str, str]:
    return {step.key: step.status.value for step in result.steps}


class TestDrain:
    def test_what_waits_behind_a_failure_runs_once_the_drain_ends(self, hm_home: Path) -> None:
        """Fail-fast cancels the running chain, then runs the step held behind an ``after`` edge."""
        result = run_bounded(
            _pipeline(), directory=hm_home, runner="local", parallelism=2, plugins=_plugins(None)
        )

        assert (1, {"fail": "failed", "slow": "cancelled", "after": "passed"}) == (
            result.exit_code,
            _statuses(result),
        )

    def test_ctrl_c_during_the_drain_ends_the_build(self, hm_home: Path) -> None:
        """A cancel while fail-fast drains skips what it held back and ends the build (no hang)."""
        cancel = threading.Event()

        result = run_bounded(
            _pipeline(),
            within=20,
            directory=hm_home,
            runner="local",
            parallelism=2,
            cancel=cancel,
            plugins=_plugins(cancel),
        )

        assert (130, {"fail": "failed", "slow": "cancelled", "after": "skipped"}) == (
            result.exit_code,
            _statuses(result),
        )
