"""`harmont.run()` in-process: the embedding API `hm run` is a thin caller of."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont.protocol import (
    API_VERSION,
    BuildEnd,
    BuildEvent,
    BuildStart,
    HookContinue,
    HookEvent,
    HookEventKind,
    HookOutcome,
    HookPhase,
    LifecycleHookSpec,
    PluginManifest,
    StepLog,
)

if TYPE_CHECKING:
    from pathlib import Path


def _flat(*steps: dict[str, object], **document: object) -> dict[str, object]:
    return {"version": "0", "steps": list(steps), **document}


def _step(key: str, cmd: str, builds_in: str | None = None) -> dict[str, object]:
    return {"type": "command", "key": key, "cmd": cmd, "builds_in": builds_in}


@pytest.fixture
def root(hm_home: Path, tmp_path: Path) -> Path:
    """An empty project directory, with HOME and the XDG directories private to the test."""
    project = tmp_path / "project"
    project.mkdir()
    return project


class TestRun:
    def test_dsl_pipeline_runs_and_reports_each_step(self, root: Path) -> None:
        """A pipeline built with the DSL runs; the result lists each step's outcome."""
        first = harmont.sh("echo one > f", key="first")
        pipeline = harmont.pipeline([first.sh("cat f", key="second")])

        result = harmont.run(pipeline, directory=root, runner="local", keep_logs=True)

        assert (0, True, None) == (result.exit_code, result.ok, result.failure)
        assert [("first", harmont.StepStatus.PASSED), ("second", harmont.StepStatus.PASSED)] == [
            (step.key, step.status) for step in result.steps
        ]
        assert ["one"] == [e.line for e in result.events if isinstance(e, StepLog)]

    def test_step_logs_reach_on_event_but_stay_out_of_the_result(self, root: Path) -> None:
        """Without keep_logs the result holds no step_log event; on_event still sees them."""
        seen: list[BuildEvent] = []

        result = harmont.run(
            _flat(_step("talk", "echo one; echo two")),
            directory=root,
            runner="local",
            on_event=seen.append,
        )

        assert (["one", "two"], []) == (
            [e.line for e in seen if isinstance(e, StepLog)],
            [e for e in result.events if isinstance(e, StepLog)],
        )
        assert [e for e in seen if not isinstance(e, StepLog)] == list(result.events)

    def test_step_ids_are_distinct_random_uuids(self, root: Path) -> None:
        """Each execution of a step has its own version 4 (random, RFC 4122) UUID."""
        steps = [_step(f"s{n}", "true") for n in range(20)]

        result = harmont.run(_flat(*steps), directory=root, runner="local")

        ids = [step.step_id for step in result.steps]
        assert 20 == len({str(step_id) for step_id in ids})
        assert all(step_id is not None and step_id.version == 4 for step_id in ids)
        assert all(step_id is not None and step_id.variant == uuid.RFC_4122 for step_id in ids)

    def test_failed_step_is_a_result_not_an_exception(self, root: Path) -> None:
        """A failing step gives exit code 1, its status and the reason, without raising."""
        result = harmont.run(
            _flat(_step("bad", "exit 4"), _step("next", "true", "bad")),
            directory=root,
            runner="local",
        )

        assert 1 == result.exit_code
        assert (harmont.StepStatus.FAILED, 4) == (
            result.step("bad").status,
            result.step("bad").exit_code,
        )
        assert harmont.StepStatus.SKIPPED == result.step("next").status
        assert "step 'bad' exited with code 4" == result.failure

    def test_on_event_sees_every_event_in_order(self, root: Path) -> None:
        """on_event receives the same events, in the same order, as a keep_logs result holds."""
        seen: list[BuildEvent] = []

        result = harmont.run(
            _flat(_step("a", "echo hi")),
            directory=root,
            runner="local",
            on_event=seen.append,
            keep_logs=True,
        )

        assert list(result.events) == seen
        assert (BuildStart, BuildEnd) == (type(seen[0]), type(seen[-1]))

    def test_cancel_event_cancels_with_130(self, root: Path) -> None:
        """Setting the cancel event stops the running step and ends the build with 130."""
        cancel = threading.Event()

        def on_event(event: BuildEvent) -> None:
            if isinstance(event, StepLog):
                cancel.set()

        result = harmont.run(
            _flat(_step("hang", "echo started; sleep 30")),
            directory=root,
            runner="local",
            on_event=on_event,
            cancel=cancel,
        )

        assert 130 == result.exit_code
        assert (harmont.StepStatus.CANCELLED, 130) == (
            result.step("hang").status,
            result.step("hang").exit_code,
        )

    def test_env_overrides_reach_the_step(self, root: Path) -> None:
        """env= wins over the pipeline's env."""
        result = harmont.run(
            _flat(_step("show", 'echo "$WHO"'), env={"WHO": "pipeline"}),
            directory=root,
            runner="local",
            env={"WHO": "caller"},
            keep_logs=True,
        )

        assert ["caller"] == [e.line for e in result.events if isinstance(e, StepLog)]


class TestRefusals:
    @pytest.mark.parametrize("parallelism", [0, -3])
    def test_parallelism_below_one_is_a_usage_error(self, root: Path, parallelism: int) -> None:
        """parallelism must be at least 1."""
        with pytest.raises(harmont.UsageError, match=rf"at least 1 \(got {parallelism}\)"):
            harmont.run(_flat(_step("a", "true")), directory=root, parallelism=parallelism)

    def test_no_runner_and_no_default_is_unknown_runner(self, root: Path) -> None:
        """Without --runner and without a default runner, a step naming none is refused."""
        with pytest.raises(harmont.UnknownRunner, match="no plugin provides a default runner"):
            harmont.run(_flat(_step("a", "true")), directory=root, disabled_plugins=["docker"])

    def test_unknown_runner_flag_is_refused(self, root: Path) -> None:
        """--runner naming no plugin's runner is refused before anything runs."""
        with pytest.raises(harmont.UnknownRunner, match="unknown runner 'k8s'"):
            harmont.run(_flat(_step("a", "true")), directory=root, runner="k8s")


class _Recorder:
    """An in-process hook plugin that records (phase, kind) pairs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @harmont.hookimpl
    def hm_plugin_manifest(self) -> PluginManifest:
        kinds = (HookEventKind.STEP_END, HookEventKind.BUILD_END)
        return PluginManifest(
            api_version=API_VERSION,
            name="recorder",
            version="1.0.0",
            description="records",
            capabilities=(LifecycleHookSpec(events=kinds, phase=HookPhase.AFTER, timeout_ms=1000),),
        )

    @harmont.hookimpl
    def hm_on_hook_event(self, hook_event: HookEvent) -> HookOutcome:
        self.calls.append((hook_event.phase.value, hook_event.event.KIND))
        return HookContinue()


def test_in_process_plugins_get_hook_events(root: Path) -> None:
    """Plugins passed with plugins= are registered for the run and see its events."""
    recorder = _Recorder()

    harmont.run(_flat(_step("a", "true")), directory=root, runner="local", plugins=[recorder])

    assert [("after", "step_end"), ("after", "build_end")] == recorder.calls
