"""Hypothesis strategies for pipeline documents: DAGs of steps in both wire forms."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from harmont._ir._model import Dependency, PipelineIR, WaitBarrier
from harmont.protocol import CommandStep

__all__ = ["barrier_irs", "flat_documents", "graph_documents"]


@st.composite
def flat_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Flat-form documents: command steps building in any earlier step, and waits."""
    steps: list[dict[str, Any]] = []
    keys: list[str] = []
    for index in range(draw(st.integers(min_value=0, max_value=24))):
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            steps.append({"type": "wait", "continue_on_failure": draw(st.booleans())})
            continue
        parent = draw(st.sampled_from([None, *keys]))
        key = f"s{index}"
        steps.append({"type": "command", "key": key, "cmd": "true", "builds_in": parent})
        keys.append(key)
    return {"version": "0", "steps": steps}


@st.composite
def graph_documents(draw: st.DrawFn) -> dict[str, Any]:
    """
    Graph-form documents whose nodes are listed in a shuffled order, so the document order
    is not a topological one; edges only go forward in a hidden order, so there is no cycle.
    """
    count = draw(st.integers(min_value=0, max_value=20))
    hidden = draw(st.permutations(range(count)))  # hidden[rank] = node index
    edges: list[list[Any]] = []
    for rank in range(1, count):
        target = hidden[rank]
        earlier = [hidden[r] for r in range(rank)]
        if draw(st.booleans()):
            edges.append([draw(st.sampled_from(earlier)), target, "builds_in"])
        for source in draw(st.sets(st.sampled_from(earlier), max_size=3)):
            edges.append([source, target, draw(st.sampled_from(["depends_on", "after"]))])
    nodes = [{"step": {"key": f"n{index}", "cmd": "true"}} for index in range(count)]
    return {"version": "0", "graph": {"nodes": nodes, "edges": edges}}


@st.composite
def barrier_irs(draw: st.DrawFn) -> PipelineIR:
    """
    Pipelines built as a program may build them, without a wire form: steps building in
    any earlier step, single dependencies on earlier steps, and waits whose groups of
    steps overlap each other and the waiting chains (no wire form makes those).
    """
    count = draw(st.integers(min_value=1, max_value=14))
    keys = [f"k{index}" for index in range(count)]
    steps = [
        CommandStep(
            key=key,
            cmd="true",
            builds_in=draw(st.sampled_from([None, *keys[:index]])) if index else None,
        )
        for index, key in enumerate(keys)
    ]
    orderings: list[Dependency | WaitBarrier] = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        cut = draw(st.integers(min_value=1, max_value=count))
        before = draw(st.lists(st.sampled_from(keys[:cut]), max_size=6))
        after = draw(st.lists(st.sampled_from(keys[cut:] or keys[-1:]), max_size=6))
        after = [key for key in after if key not in before]
        required = draw(st.booleans())
        if len(before) == len(after) == 1 and draw(st.booleans()):
            orderings.append(Dependency(step=after[0], after=before[0], requires_success=required))
        else:
            orderings.append(
                WaitBarrier(steps=tuple(after), after=tuple(before), requires_success=required)
            )
    return PipelineIR(steps=tuple(steps), dependencies=tuple(orderings))
