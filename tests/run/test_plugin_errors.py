"""A runner's plugin failing on a step fails that step only; the build goes on and exits 6."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

import harmont
from harmont.protocol import BuildEnd, ChainFailed, StepEnd, StepLog, StepQueued
from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import TIMEOUT_SECONDS

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import BuildEvent, ExecutorInput


class _Faulty(StepExecutor):
    """
    Runner ``faulty``: raises *error* on every step, once *not_before* is set (if given),
    after setting *before_raising*.
    """

    manifest = manifest("faulty-plugin", "1.0.0", executor("faulty"))

    def __init__(
        self,
        error: Exception,
        before_raising: threading.Event | None = None,
        not_before: threading.Event | None = None,
    ) -> None:
        self._error = error
        self._before_raising = before_raising
        self._not_before = not_before

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        if self._not_before is not None and not self._not_before.wait(TIMEOUT_SECONDS):
            raise AssertionError(f"not_before was not set within {TIMEOUT_SECONDS}s")
        if self._before_raising is not None:
            self._before_raising.set()
        raise self._error


class _BrokenCache(StepExecutor):
    """Runner ``cachey``: runs every step, but raises *error* when asked for a snapshot."""

    manifest = manifest("cachey-plugin", "1.0.0", executor("cachey"))

    def __init__(self, error: Exception) -> None:
        self._error = error

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        return StepResult(exit_code=0)

    @harmont.hookimpl
    def hm_snapshot_exists(self, runner: str, tag: str) -> bool | None:
        raise self._error


def _step(key: str, cmd: str, builds_in: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": "command", "key": key, "cmd": cmd, "builds_in": builds_in, **fields}


#: Chain 0 breaks on the faulty runner; chain 1 takes long enough to be running then.
_PIPELINE: dict[str, Any] = {
    "version": "0",
    "steps": [
        _step("boom", "ignored", runner="faulty"),
        _step("after-boom", "true", builds_in="boom"),
        _step("slow", "sleep 0.3; echo slept > proof"),
        _step("slow-next", "cat proof", builds_in="slow"),
    ],
}

#: The plugin error's message, and its hint: the error is a result, so the hint rides along.
_MESSAGE = (
    "plugin 'faulty-plugin' raised RuntimeError during 'execute_step': kaput "
    "(hint: this is a bug in the plugin; report it to its authors)"
)


@pytest.fixture
def root(hm_home: Path, tmp_path: Path) -> Path:
    """An empty project directory with a private home."""
    project = tmp_path / "project"
    project.mkdir()
    return project


def _run(
    root: Path, plugin: object, pipeline: dict[str, Any] = _PIPELINE, **options: Any
) -> harmont.BuildResult:
    """Build *pipeline* in *root* on the local runner, with *plugin*; keep-going by default."""
    options.setdefault("keep_going", True)
    return harmont.run(pipeline, directory=root, runner="local", plugins=[plugin], **options)


def _statuses(result: harmont.BuildResult) -> dict[str, str]:
    return {step.key: step.status.value for step in result.steps}


class TestPluginError:
    def test_keep_going_fails_the_step_and_finishes_the_other_chain(self, root: Path) -> None:
        """With --keep-going the raising step errors, its chain stops, the other completes."""
        result = _run(root, _Faulty(RuntimeError("kaput")))

        assert {
            "boom": "errored",
            "after-boom": "skipped",
            "slow": "passed",
            "slow-next": "passed",
        } == _statuses(result)
        assert (6, _MESSAGE, _MESSAGE) == (
            result.exit_code,
            result.failure,
            result.step("boom").error,
        )

    def test_chain_failed_names_the_step_and_carries_the_plugin_error(self, root: Path) -> None:
        """The failed step gets step_end exit 1 and a chain_failed of its own chain."""
        result = _run(root, _Faulty(RuntimeError("kaput")))
        queued = next(e for e in result.events if isinstance(e, StepQueued) and e.key == "boom")
        failed = [e for e in result.events if isinstance(e, ChainFailed)]
        ends = [e.exit_code for e in result.events if isinstance(e, StepEnd)]
        build_end = [e.exit_code for e in result.events if isinstance(e, BuildEnd)]

        assert [(queued.chain_idx, queued.step_id, "boom", 1, _MESSAGE)] == [
            (e.chain_idx, e.failed_step_id, e.failed_step_key, e.exit_code, e.message)
            for e in failed
        ]
        assert ([1, 0, 0], [6]) == (sorted(ends, reverse=True), build_end)

    def test_fail_fast_cancels_the_other_chain_and_still_exits_6(self, root: Path) -> None:
        """Without --keep-going the running chain is cancelled; a plugin failure outranks 1."""
        slow_running = threading.Event()

        def watch(event: BuildEvent) -> None:
            # slow's first line: its command is running, so only a cancel can stop it.
            if isinstance(event, StepLog) and event.line == "slow started":
                slow_running.set()

        pipeline = {
            "version": "0",
            "steps": [
                _step("boom", "ignored", runner="faulty"),
                _step("after-boom", "true", builds_in="boom"),
                _step("slow", f"echo slow started; sleep {TIMEOUT_SECONDS}"),
                _step("slow-next", "true", builds_in="slow"),
            ],
        }

        result = _run(
            root,
            _Faulty(RuntimeError("kaput"), not_before=slow_running),
            pipeline,
            keep_going=False,
            parallelism=2,
            on_event=watch,
        )

        assert (6, _MESSAGE) == (result.exit_code, result.failure)
        assert {
            "boom": "errored",
            "after-boom": "skipped",
            "slow": "cancelled",
            "slow-next": "skipped",
        } == _statuses(result)

    def test_a_step_failure_alongside_still_exits_6(self, root: Path) -> None:
        """An ordinary failed step in another chain does not lower the plugin failure's 6."""
        pipeline = {
            "version": "0",
            "steps": [_step("boom", "ignored", runner="faulty"), _step("bad", "exit 3")],
        }

        result = _run(root, _Faulty(RuntimeError("kaput")), pipeline)

        assert (6, {"boom": "errored", "bad": "failed"}) == (
            result.exit_code,
            _statuses(result),
        )

    def test_cancellation_outranks_a_plugin_failure(self, root: Path) -> None:
        """A build cancelled while a plugin fails exits 130, not 6."""
        cancel = threading.Event()

        result = _run(
            root,
            _Faulty(RuntimeError("kaput"), before_raising=cancel),
            {"version": "0", "steps": [_step("boom", "ignored", runner="faulty")]},
            cancel=cancel,
        )

        assert 130 == result.exit_code

    def test_engine_unavailable_still_stops_the_build(self, root: Path) -> None:
        """The engine gone is not the step's fault: the build stops and the error is raised."""
        events: list[object] = []

        with pytest.raises(harmont.EngineUnavailable, match="engine is down"):
            _run(root, _Faulty(harmont.EngineUnavailable("engine is down")), on_event=events.append)

        assert [1] == [e.exit_code for e in events if isinstance(e, BuildEnd)]
        # The other chain may have started, and then been cancelled: only boom is at stake.
        assert [] == [
            e for e in events if isinstance(e, ChainFailed) and e.failed_step_key == "boom"
        ]

    def test_a_failing_cache_lookup_fails_its_step_only(self, root: Path) -> None:
        """A plugin that raises while the host asks for a cached snapshot errors that step."""
        cached = _step("cached", "true", runner="cachey", cache={"policy": "forever", "key": "k1"})
        pipeline = {"version": "0", "steps": [cached, _step("plain", "true", runner="cachey")]}

        result = _run(root, _BrokenCache(OSError("cache index unreadable")), pipeline)

        assert (6, {"cached": "errored", "plain": "passed"}) == (
            result.exit_code,
            _statuses(result),
        )
        assert (
            "runner 'cachey': checking cache snapshot 'harmont-local/cached:k1' failed: "
            "cache index unreadable"
        ) == result.step("cached").error

    def test_an_engine_gone_during_a_cache_lookup_stops_the_build(self, root: Path) -> None:
        """EngineUnavailable from a snapshot lookup is not wrapped: the build stops (exit 4)."""
        cached = _step("cached", "true", runner="cachey", cache={"policy": "forever", "key": "k1"})

        with pytest.raises(harmont.EngineUnavailable, match="engine is down"):
            _run(
                root,
                _BrokenCache(harmont.EngineUnavailable("engine is down")),
                {"version": "0", "steps": [cached]},
            )
