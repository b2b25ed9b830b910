"""Properties of the scheduler over generated DAGs, run for real on an in-process runner."""

from __future__ import annotations

import itertools
import threading
import time
from typing import TYPE_CHECKING, Any, Final

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ir.strategies import flat_documents, graph_documents

import harmont
from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import run_bounded

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import ExecutorInput


#: How long each recorded step takes.
_STEP_SECONDS: Final = 0.002
#: A build of at most 24 such steps that takes longer has deadlocked (they take well
#: under a second); short, since Hypothesis replays a failing example while shrinking it.
_WITHIN_SECONDS: Final = 10


class _Recorder(StepExecutor):
    """
    Runner ``record``: notes when each call starts and ends (on one shared clock), fails
    the steps it is told to, else passes; sets *cancel* as call number *cancel_at* returns.
    """

    manifest = manifest("recorder", "1.0.0", executor("record"))

    def __init__(self, failing: frozenset[str], *, cancel: threading.Event, cancel_at: int) -> None:
        self._failing = failing
        self._cancel = cancel
        self._cancel_at = cancel_at
        self._lock = threading.Lock()
        self._clock = itertools.count()
        #: (step key, parent snapshot), in call order.
        self.calls: list[tuple[str, str | None]] = []
        #: Step key -> the clock when its call started, and when it returned.
        self.started: dict[str, int] = {}
        self.ended: dict[str, int] = {}
        #: Whether a call set *cancel*.
        self.cancelled = False

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        key = executor_input.step.key
        with self._lock:
            self.started[key] = next(self._clock)
            self.calls.append((key, executor_input.parent_snapshot))
        # Long enough for chains to overlap, so an edge the scheduler did not keep shows.
        time.sleep(_STEP_SECONDS)
        with self._lock:
            self.ended[key] = next(self._clock)
            # On a return, not a start: a step still running when fail-fast stops the
            # build then cancels it mid-drain too.
            if len(self.ended) == self._cancel_at:
                self._cancel.set()
                self.cancelled = True
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
    mode = data.draw(st.sampled_from(["keep_going", "fail_fast", "cancel"]))
    cancel = threading.Event()
    cancel_at = data.draw(st.integers(min_value=1, max_value=max(len(keys), 1)))
    recorder = _Recorder(failing, cancel=cancel, cancel_at=cancel_at if mode == "cancel" else 0)

    result = run_bounded(
        document,
        within=_WITHIN_SECONDS,
        directory=root,
        runner="record",
        parallelism=parallelism,
        keep_going=mode == "keep_going",
        cancel=cancel,
        plugins=[recorder],
    )
    order = [key for key, _ in recorder.calls]
    parents = {step.key: step.builds_in for step in ir.steps}
    expected = _expected_runs(ir, failing)

    assert len(order) == len(set(order))
    if mode == "keep_going":
        assert expected == set(order)
    else:
        assert set(order) <= expected
    edges = [(parent, key) for key, parent in parents.items() if parent is not None]
    edges += [(dependency.after, dependency.step) for dependency in ir.dependencies]
    for before, after in edges:
        if after in recorder.started and before in recorder.started:
            # What a step waits for (or builds in) had finished before it started.
            assert recorder.ended[before] < recorder.started[after], (before, after)
    for key, parent_snapshot in recorder.calls:
        parent = parents[key]
        assert (None if parent is None else f"state-of-{parent}") == parent_snapshot
    if recorder.cancelled:
        assert 130 == result.exit_code
    else:
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
    """
    With 1 or 2 slots, keep-going, fail-fast or cancelled, each step runs at most once,
    after what it waits for has finished, from its parent; keep-going runs all it should.
    """
    _check(document, data, hm_home)


@_SETTINGS
@given(document=graph_documents(), data=st.data())
def test_graph_pipelines_never_deadlock_and_keep_every_edge(
    document: dict[str, Any], data: st.DataObject, hm_home: Path
) -> None:
    """Chains pausing mid-way for each other end on one slot, every edge kept, in every mode."""
    _check(document, data, hm_home)
