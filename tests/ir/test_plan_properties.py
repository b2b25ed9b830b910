"""Properties of the planner over generated DAGs, in both wire forms."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from ir.strategies import flat_documents, graph_documents

import harmont as hm


def _check(ir: hm.PipelineIR) -> None:
    plan = hm.plan(ir, default_runner="local")
    chain_of = {key: chain for chain in plan.chains for key in chain.keys}
    position = {key: chain.keys.index(key) for key, chain in chain_of.items()}

    # Every step lies in exactly one chain.
    planned = [key for chain in plan.chains for key in chain.keys]
    assert sorted(step.key for step in ir.steps) == sorted(planned)
    assert len(planned) == len(set(planned))

    # A chain follows builds_in from parents with one child; other steps start chains.
    children: dict[str, list[str]] = {}
    for step in ir.steps:
        if step.builds_in is not None:
            children.setdefault(step.builds_in, []).append(step.key)
    for chain in plan.chains:
        assert chain.fork_parent == chain.steps[0].builds_in
        assert chain.fork_parent is None or len(children[chain.fork_parent]) > 1
        for parent, child in zip(chain.steps, chain.steps[1:], strict=False):
            assert parent.key == child.builds_in
            assert [child.key] == children[parent.key]

    # Every edge is respected: inside a chain by position; across chains by chain order
    # and a chain dependency when it ends at a first step, and always by a wait of the
    # step (or of an earlier step of its chain) that needs at least what the edge needs.
    waits = {chain.index: chain.waits for chain in plan.chains}
    edges = [(step.builds_in, step.key, True) for step in ir.steps if step.builds_in is not None]
    edges += [(d.after, d.step, d.requires_success) for d in ir.dependencies]
    for before, after, required in edges:
        first, second = chain_of[before], chain_of[after]
        if first is second:
            assert position[before] < position[after]
            continue
        if position[after] == 0:
            assert first.index < second.index
            assert first.index in {dependency.chain for dependency in second.depends_on}
        assert any(
            wait.after == before
            and position[wait.step] <= position[after]
            and (wait.requires_success or not required)
            for wait in waits[second.index]
        )

    # Every wait is an edge into another chain, and comes in position order.
    for chain in plan.chains:
        assert all(dependency.chain < chain.index for dependency in chain.depends_on)
        for wait in chain.waits:
            assert wait.step in chain.keys
            assert chain_of[wait.after] is not chain
            assert any((before, after) == (wait.after, wait.step) for before, after, _ in edges)
        assert [position[w.step] for w in chain.waits] == sorted(
            position[w.step] for w in chain.waits
        )
    assert len(plan.chains) == plan.summary.chain_count


@given(flat_documents())
def test_flat_form_plans_respect_every_edge(document: dict[str, Any]) -> None:
    """Each step of a flat document is in one chain; chain order and waits keep every edge."""
    _check(hm.load_ir(document))


@given(graph_documents())
def test_graph_form_plans_respect_every_edge(document: dict[str, Any]) -> None:
    """Each step of a graph document is in one chain; chain order and waits keep every edge."""
    _check(hm.load_ir(document))


@given(flat_documents())
def test_planning_is_deterministic(document: dict[str, Any]) -> None:
    """Planning the same document twice gives equal plans (a stable chain order)."""
    ir = hm.load_ir(document)

    assert hm.plan(ir, default_runner="local") == hm.plan(ir, default_runner="local")
