"""The hooks every first-party runner shares, over a recording executor in a real registry."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from harmont._executors._common import RunnerHooks
from harmont.protocol import (
    API_VERSION,
    BuildEnd,
    ExecutorInput,
    HookContinue,
    HookEventKind,
    HookPhase,
    LifecycleHookSpec,
    PluginManifest,
    StepEnd,
    StepExecutorSpec,
    StepResult,
)
from harmont_sdk.testing import execute_step, send_event
from tests.native.support import executor_input

if TYPE_CHECKING:
    from harmont import Registry
    from harmont._plugins._context import PluginContext


def _manifest(*runners: str) -> PluginManifest:
    return PluginManifest(
        api_version=API_VERSION,
        name="recorded",
        version="1.0.0",
        description="",
        capabilities=(
            *(StepExecutorSpec(runner=r, default=False) for r in runners),
            LifecycleHookSpec(
                events=(HookEventKind.BUILD_END,), phase=HookPhase.AFTER, timeout_ms=1000
            ),
        ),
    )


class FakeExecutor:
    """Records what the hooks hand it; every step passes and only tag ``kept`` exists."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def execute(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        self.calls.append(f"execute {executor_input.step.key} for {context.plugin}")
        return StepResult(exit_code=0, committed_snapshot="snap")

    def end_run(self, run_id: uuid.UUID) -> None:
        self.calls.append(f"end_run {run_id}")

    def snapshot_exists(self, tag: str) -> bool:
        return tag == "kept"


@pytest.fixture
def executor(hm_registry: Registry) -> FakeExecutor:
    """A FakeExecutor behind the RunnerHooks of runner ``rec``, registered with the built-ins."""
    fake = FakeExecutor()
    hm_registry.register(RunnerHooks(_manifest("rec"), fake))
    return fake


class TestRunnerHooks:
    def test_a_step_reaches_the_executor(
        self, hm_registry: Registry, executor: FakeExecutor
    ) -> None:
        """hm_execute_step hands the step and its context to the executor, and its result back."""
        step = executor_input("build", runner="rec")

        result = execute_step(hm_registry, step)

        assert StepResult(exit_code=0, committed_snapshot="snap") == result
        assert ["execute build for recorded"] == executor.calls

    def test_build_end_ends_the_run_and_nothing_else_does(
        self, hm_registry: Registry, executor: FakeExecutor
    ) -> None:
        """Only build_end reaches end_run, with the run of the context."""
        run_id = uuid.uuid4()
        step_end = StepEnd(step_id=uuid.uuid4(), exit_code=0, duration_ms=1)

        outcomes = [
            send_event(hm_registry, event, run_id=run_id)
            for event in (step_end, BuildEnd(exit_code=0, duration_ms=1))
        ]

        assert [HookContinue(), HookContinue()] == outcomes
        assert [f"end_run {run_id}"] == executor.calls

    def test_snapshot_lookup_answers_for_its_own_runner_only(
        self, hm_registry: Registry, executor: FakeExecutor
    ) -> None:
        """The cache lookup asks the executor for its runner and stays silent for others."""
        hook = hm_registry.plugin_manager.hook.hm_snapshot_exists

        assert [True, False, None] == [
            hook(runner="rec", tag="kept"),
            hook(runner="rec", tag="gone"),
            hook(runner="someone-else", tag="kept"),
        ]

    @pytest.mark.parametrize("runners", [(), ("a", "b")], ids=["none", "two"])
    def test_a_manifest_must_declare_exactly_one_runner(self, runners: tuple[str, ...]) -> None:
        """The shared hooks serve one runner; a manifest with none or two is refused."""
        with pytest.raises(ValueError, match="plugin 'recorded': expected one runner"):
            RunnerHooks(_manifest(*runners), FakeExecutor())
