"""Properties of the planner over generated DAGs, in both wire forms."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import harmont as hm


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


def _check(ir: hm.PipelineIR) -> None:
    plan = hm.plan(ir, default_runner="local")
    chain_of = {key: chain for chain in plan.chains for key in chain.keys}
    position = {key: chain.keys.index(key) for key, chain in chain_of.items()}

    # Every step lies in exactly one chain.
    planned = [key for chain in plan.chains for key in chain.keys]
    assert sorted(step.key for step in ir.steps) == sorted(planned)
    assert len(planned) == len(set(planned))

    # Every edge is respected: inside a chain by position, across chains by order and by a
    # declared chain dependency.
    edges = [(step.builds_in, step.key) for step in ir.steps if step.builds_in is not None]
    edges += [(dependency.after, dependency.step) for dependency in ir.dependencies]
    for before, after in edges:
        first, second = chain_of[before], chain_of[after]
        if first is second:
            assert position[before] < position[after]
        else:
            assert first.index < second.index
            assert first.index in {dependency.chain for dependency in second.depends_on}

    for chain in plan.chains:
        assert all(dependency.chain < chain.index for dependency in chain.depends_on)
        assert chain.fork_parent == chain.steps[0].builds_in
        for parent, child in zip(chain.steps, chain.steps[1:], strict=False):
            assert parent.key == child.builds_in
    assert len(plan.chains) == plan.summary.chain_count


@given(flat_documents())
def test_flat_form_plans_respect_every_edge(document: dict[str, Any]) -> None:
    """Each step of a flat document is in exactly one chain, and chain order keeps every edge."""
    _check(hm.load_ir(document))


@given(graph_documents())
def test_graph_form_plans_respect_every_edge(document: dict[str, Any]) -> None:
    """Each step of a graph document is in exactly one chain, and chain order keeps every edge."""
    _check(hm.load_ir(document))


@given(flat_documents())
def test_planning_is_deterministic(document: dict[str, Any]) -> None:
    """Planning the same document twice gives equal plans (a stable chain order)."""
    ir = hm.load_ir(document)

    assert hm.plan(ir, default_runner="local") == hm.plan(ir, default_runner="local")
