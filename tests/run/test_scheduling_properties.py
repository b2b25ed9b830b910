"""Properties of the scheduler over generated DAGs, run for real on an in-process runner."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ir.strategies import flat_documents, graph_documents

import harmont
from harmont_sdk import StepExecutor, StepResult, executor, manifest

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import ExecutorInput


class _Recorder(StepExecutor):
    """Runner ``record``: notes each call, fails the steps it is told to, else passes."""

    manifest = manifest("recorder", "1.0.0", executor("record"))

    def __init__(self, failing: frozenset[str]) -> None:
        self._failing = failing
        self._lock = threading.Lock()
        #: (step key, parent snapshot), in call order.
        self.calls: list[tuple[str, str | None]] = []

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        key = executor_input.step.key
        with self._lock:
            self.calls.append((key, executor_input.parent_snapshot))
        if key in self._failing:
            return StepResult(exit_code=1)
        return StepResult(exit_code=0, committed_snapshot=f"state-of-{key}")


def _expected_runs(ir: harmont.PipelineIR, failing: frozenset[str]) -> set[str]:
    """
    The steps that run under keep-going: those whose parent passed and whose every wait
    that needs success is on a step that passed.
    """
    needs: dict[str, set[str]] = {step.key: set() for step in ir.steps}
    for step in ir.steps:
        if step.builds_in is not None:
            needs[step.key].add(step.builds_in)
    for dependency in ir.dependencies:
        if dependency.requires_success:
            needs[dependency.step].add(dependency.after)
    passed: dict[str, bool] = {}

    def passes(key: str) -> bool:
        if key not in passed:
            passed[key] = runs(key) and key not in failing
        return passed[key]

    def runs(key: str) -> bool:
        return all(passes(other) for other in needs[key])

    return {step.key for step in ir.steps if runs(step.key)}


def _check(document: dict[str, Any], data: st.DataObject, root: Path) -> None:
    ir = harmont.load_ir(document)
    keys = [step.key for step in ir.steps]
    failing = frozenset(data.draw(st.sets(st.sampled_from(keys)) if keys else st.just(set())))
    parallelism = data.draw(st.sampled_from([1, 2]))
    recorder = _Recorder(failing)

    result = harmont.run(
        document,
        directory=root,
        runner="record",
        parallelism=parallelism,
        keep_going=True,
        plugins=[recorder],
    )
    order = [key for key, _ in recorder.calls]
    ran_at = {key: index for index, key in enumerate(order)}
    parents = {step.key: step.builds_in for step in ir.steps}

    assert len(order) == len(set(order))
    assert _expected_runs(ir, failing) == set(order)
    edges = [(parent, key) for key, parent in parents.items() if parent is not None]
    edges += [(dependency.after, dependency.step) for dependency in ir.dependencies]
    for before, after in edges:
        if after in ran_at and before in ran_at:
            assert ran_at[before] < ran_at[after]
    for key, parent_snapshot in recorder.calls:
        parent = parents[key]
        assert (None if parent is None else f"state-of-{parent}") == parent_snapshot
    assert (1 if failing & set(order) else 0) == result.exit_code


_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_SETTINGS
@given(document=flat_documents(), data=st.data())
def test_flat_pipelines_run_every_step_they_should_in_edge_order(
    document: dict[str, Any], data: st.DataObject, hm_home: Path
) -> None:
    """With 1 or 2 slots every runnable step runs once, after its waits, from its parent."""
    _check(document, data, hm_home)


@_SETTINGS
@given(document=graph_documents(), data=st.data())
def test_graph_pipelines_never_deadlock_and_keep_every_edge(
    document: dict[str, Any], data: st.DataObject, hm_home: Path
) -> None:
    """Chains pausing mid-way for each other finish on one slot, every edge kept."""
    _check(document, data, hm_home)
