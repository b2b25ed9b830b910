"""Properties of the planner over generated DAGs, in both wire forms."""

from __future__ import annotations

import heapq
from typing import Any

from hypothesis import given
from ir.strategies import barrier_irs, flat_documents, graph_documents

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


def _pairwise(ir: hm.PipelineIR, plan: hm.Plan) -> list[tuple[object, ...]]:
    """
    What the plan's chains should read as, worked out pair by pair from the IR's expanded
    dependencies: each chain's waits, its chain dependencies, and where it comes in the
    plan (the head's place in the document, ready chains in document order).
    """
    index = {step.key: number for number, step in enumerate(ir.steps)}
    chain_of = {key: chain for chain in plan.chains for key in chain.keys}
    needs: dict[str, dict[str, bool]] = {step.key: {} for step in ir.steps}
    for step in ir.steps:
        if step.builds_in is not None:
            needs[step.key][step.builds_in] = True
    for dependency in ir.dependencies:
        waiting = needs[dependency.step]
        waiting[dependency.after] = waiting.get(dependency.after, False) or (
            dependency.requires_success
        )
    found = []
    for chain in plan.chains:
        seen: dict[str, bool] = {}
        waits = []
        for key in chain.keys:
            here = []
            for after, required in needs[key].items():
                if chain_of[after] is chain or (after in seen and seen[after] >= required):
                    continue
                seen[after] = required or seen.get(after, False)
                here.append((key, after, required))
            waits += sorted(here, key=lambda wait: (chain_of[wait[1]].index, index[wait[1]]))
        heads: dict[int, bool] = {}
        for step, after, required in waits:
            if step == chain.keys[0]:
                heads[chain_of[after].index] = heads.get(chain_of[after].index, False) or required
        found.append((chain.index, waits, sorted(heads.items())))
    return found


def _document_order(plan: hm.Plan, ir: hm.PipelineIR) -> list[int]:
    """The chains' heads' places in the document, in the order the planner must list them."""
    index = {step.key: number for number, step in enumerate(ir.steps)}
    head = {chain.index: index[chain.keys[0]] for chain in plan.chains}
    waiting = {chain.index: {d.chain for d in chain.depends_on} for chain in plan.chains}
    ready = [head[chain] for chain, needed in waiting.items() if not needed]
    by_head = {place: chain for chain, place in head.items()}
    heapq.heapify(ready)
    order = []
    while ready:
        chain = by_head[heapq.heappop(ready)]
        order.append(head[chain])
        for other, needed in waiting.items():
            if chain in needed:
                needed.discard(chain)
                if not needed:
                    heapq.heappush(ready, head[other])
    return order


def _check_pairwise(ir: hm.PipelineIR) -> None:
    plan = hm.plan(ir, default_runner="local")
    index = {step.key: number for number, step in enumerate(ir.steps)}

    assert _pairwise(ir, plan) == [
        (
            chain.index,
            [(wait.step, wait.after, wait.requires_success) for wait in chain.waits],
            [(dependency.chain, dependency.requires_success) for dependency in chain.depends_on],
        )
        for chain in plan.chains
    ]
    assert _document_order(plan, ir) == [index[chain.keys[0]] for chain in plan.chains]


@given(flat_documents())
def test_flat_form_waits_read_as_their_pairs(document: dict[str, Any]) -> None:
    """A plan kept by wait groups reads back, pair by pair, what each wait stands for."""
    _check_pairwise(hm.load_ir(document))


@given(graph_documents())
def test_graph_form_waits_read_as_their_pairs(document: dict[str, Any]) -> None:
    """Single dependencies read back as the pairs they are, in the same order."""
    _check_pairwise(hm.load_ir(document))


@given(barrier_irs())
def test_overlapping_waits_read_as_their_pairs(ir: hm.PipelineIR) -> None:
    """
    Waits whose groups overlap each other or the waiting chain (a program building the
    IR may make them) still read back as their pairs, each waited for once per chain.
    """
    _check(ir)
    _check_pairwise(ir)
