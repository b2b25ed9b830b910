"""The scheduler's book of waits: a wait is one group of steps, counted once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ir.strategies import barrier_irs, flat_documents

import harmont as hm
from harmont._ir import _plan
from harmont._ir._model import PipelineIR, WaitBarrier
from harmont._orchestrator._waits import WaitBoard
from harmont.protocol import CommandStep

if TYPE_CHECKING:
    import random

    import pytest

    from harmont._ir._model import Dependency


def _cmd(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "command", "key": key, "cmd": "true", **fields}


def _flat(*steps: dict[str, Any]) -> hm.Plan:
    return hm.plan(hm.load_ir({"version": "0", "steps": list(steps)}), default_runner="local")


def _ready(board: WaitBoard) -> list[tuple[int, int]]:
    found = []
    while (ready := board.pop_ready()) is not None:
        found.append(ready[0])
    return found


def test_planning_and_the_board_build_no_pair_for_a_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wait between two stages of 50 steps is read as 2,500 pairs only when asked for."""

    def refuse(**_: object) -> None:
        raise AssertionError("a pair was built")

    steps = [_cmd(f"a{n}") for n in range(50)] + [{"type": "wait"}]
    steps += [_cmd(f"b{n}") for n in range(50)]
    with monkeypatch.context() as patch:
        patch.setattr(_plan, "Dependency", refuse)
        patch.setattr(_plan, "ChainDependency", refuse)
        plan = _flat(*steps)
        board = WaitBoard(plan)
        heads = _ready(board)
        for key in [f"a{n}" for n in range(50)]:
            board.passed(key)

    assert [(n, 0) for n in range(50)] == heads
    assert [(n, 0) for n in range(50, 100)] == _ready(board)
    assert 50 == len(plan.chain_of("b0").waits)
    assert 50 == len(plan.chain_of("b0").depends_on)


def test_a_group_readies_every_chain_behind_it_when_its_last_step_ends() -> None:
    """Finishing a step before a wait readies nothing until the wait's last step ends."""
    plan = _flat(_cmd("a"), _cmd("b"), {"type": "wait"}, _cmd("c"), _cmd("d"))
    board = WaitBoard(plan)

    assert [(0, 0), (1, 0)] == _ready(board)
    assert board.passed("a") is False
    assert [] == _ready(board)
    assert board.passed("b") is True
    assert [(2, 0), (3, 0)] == _ready(board)
    assert [(True, True)] == board.needs((2, 0))


def test_a_failure_an_earlier_wait_let_through_does_not_hold_a_later_one() -> None:
    """
    ``a`` waits for ``x`` and ``y``, ``b`` (its chain's next step) for ``x`` and ``z``, all
    whatever the outcome: once ``a`` ran after ``x`` failed, ``b`` waits only for ``z``,
    and goes on without pausing when ``z`` passes, though ``x`` is in its group.
    """
    steps = [CommandStep(key=key, cmd="true") for key in "xyza"]
    ir = PipelineIR(
        steps=(*steps, CommandStep(key="b", cmd="true", builds_in="a")),
        dependencies=(
            WaitBarrier(steps=("a",), after=("x", "y"), requires_success=False),
            WaitBarrier(steps=("b",), after=("x", "z"), requires_success=False),
        ),
    )
    plan = hm.plan(ir, default_runner="local")
    chain = plan.chain_of("a").index
    board = WaitBoard(plan)

    assert [("b", "z", False)] == [
        (wait.step, wait.after, wait.requires_success)
        for wait in plan.chain_of("b").waits
        if wait.step == "b"
    ]
    board.stopped((plan.chain_of("x").index, 0))
    board.passed("y")
    assert [(False, False)] == board.needs((chain, 0))
    board.passed("a")
    assert board.may_go_on(chain, 1) is False
    board.passed("z")
    assert board.may_go_on(chain, 1) is True


def test_a_wait_on_a_later_step_of_its_own_chain_is_left_out() -> None:
    """
    An IR built by hand, unvalidated, may make a step wait for a later step of its chain:
    that wait is left out, as it always was, and the rest of its group still counts.
    """
    ir = PipelineIR(
        steps=(
            CommandStep(key="a", cmd="true"),
            CommandStep(key="b", cmd="true", builds_in="a"),
            CommandStep(key="c", cmd="true"),
        ),
        dependencies=(WaitBarrier(steps=("a",), after=("b", "c")),),
    )
    plan = hm.plan(ir, default_runner="local")
    board = WaitBoard(plan)

    assert [("a", "c", True)] == [
        (wait.step, wait.after, wait.requires_success) for wait in plan.chain_of("a").waits
    ]
    assert [(plan.chain_of("c").index, 0)] == _ready(board)
    assert board.passed("c") is True
    assert [(plan.chain_of("a").index, 0)] == _ready(board)


class _PairBoard:
    """
    The reference: the book of waits pair by pair, from :attr:`harmont.Chain.waits`, as
    the board kept it before it counted groups. A segment is ready once it has arrived
    and every step its pairs name has finished; its needs are one entry per pair.
    """

    def __init__(self, plan: hm.Plan) -> None:
        self.waits: dict[tuple[int, int], list[Dependency]] = {}
        for chain in plan.chains:
            for wait in chain.waits:
                segment = (chain.index, chain.keys.index(wait.step))
                self.waits.setdefault(segment, []).append(wait)
        self.finished: dict[str, bool] = {}
        self.arrived = {(chain.index, 0) for chain in plan.chains}

    def ready(self) -> list[tuple[int, int]]:
        return sorted(
            segment
            for segment in self.arrived
            if all(wait.after in self.finished for wait in self.waits.get(segment, ()))
        )

    def needs(self, segment: tuple[int, int]) -> list[tuple[bool, bool]]:
        return [(self.finished[w.after], w.requires_success) for w in self.waits.get(segment, ())]

    def may_go_on(self, segment: tuple[int, int]) -> bool:
        return all(self.finished.get(w.after) is True for w in self.waits.get(segment, ()))


def _verdict(needs: list[tuple[bool, bool]]) -> tuple[bool, bool]:
    """What the scheduler reads of a ready segment's needs: skip it; any wait needs no pass."""
    return (
        any(required and not passed for passed, required in needs),
        any(not required for _, required in needs),
    )


def _drive(plan: hm.Plan, rng: random.Random) -> None:
    """
    Drive a board as the scheduler does, on one thread: running chains take turns in a
    random order, up to two random steps fail. Check each of its decisions against
    the reference's as it is made.
    """
    steps = sorted(key for chain in plan.chains for key in chain.keys)
    failing = set(rng.sample(steps, k=min(len(steps), rng.randrange(3))))
    board, reference = WaitBoard(plan), _PairBoard(plan)
    watched = board.watched

    def finish(keys: tuple[str, ...], *, passed: bool) -> bool:
        """Record *keys* finished on the reference; say whether a segment became ready."""
        before = reference.ready()
        for key in keys:
            reference.finished.setdefault(key, passed)
        return reference.ready() != before

    workers: list[tuple[int, int, int]] = []  # chain, next position, where it (re)started
    while True:
        while (ready := board.pop_ready()) is not None:
            segment = ready[0]
            assert reference.ready()[:1] == [segment]
            reference.arrived.remove(segment)
            verdict = _verdict(board.needs(segment))
            assert _verdict(reference.needs(segment)) == verdict
            if verdict[0]:  # skipped: the rest of its chain finishes unpassed
                finish(plan.chains[segment[0]].keys[segment[1] :], passed=False)
                board.stopped(segment)
            else:
                workers.append((*segment, segment[1]))
        assert [] == reference.ready()
        if not workers:
            break
        chain, position, start = workers.pop(rng.randrange(len(workers)))
        keys = plan.chains[chain].keys
        if position == len(keys):
            continue
        if position > start:
            go_on = board.may_go_on(chain, position)
            assert reference.may_go_on((chain, position)) == go_on
            if not go_on:
                reference.arrived.add((chain, position))
                board.paused((chain, position), None)
                continue
        if keys[position] in failing:
            finish(keys[position:], passed=False)
            board.stopped((chain, position))
            continue
        readied = finish(keys[position : position + 1], passed=True)
        assert readied == (keys[position] in watched and board.passed(keys[position]))
        workers.append((chain, position + 1, start))

    assert sum(len(chain.keys) for chain in plan.chains) == len(reference.finished)
    assert {key: reference.finished[key] for key in watched} == {
        key: passed for key, passed in board.finished.items() if key in watched
    }


@st.composite
def _crossing_waits(draw: st.DrawFn) -> PipelineIR:
    """
    A chain of a few steps, each waiting mid-way for some of a few other steps, in
    overlapping groups: what makes a wait leave out a step an earlier one waited for.
    """
    sources = [CommandStep(key=f"s{n}", cmd="true") for n in range(draw(st.integers(1, 4)))]
    chain = [CommandStep(key="c0", cmd="true")]
    for n in range(1, draw(st.integers(2, 4))):
        chain.append(CommandStep(key=f"c{n}", cmd="true", builds_in=f"c{n - 1}"))
    keys = [step.key for step in sources]
    waits = [
        WaitBarrier(
            steps=(draw(st.sampled_from([step.key for step in chain])),),
            after=tuple(draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3))),
            requires_success=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(1, 4)))
    ]
    return PipelineIR(steps=(*sources, *chain), dependencies=tuple(waits))


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(barrier_irs(), flat_documents().map(hm.load_ir)), st.randoms(use_true_random=False)
)
def test_the_board_decides_as_the_waits_pair_by_pair(ir: hm.PipelineIR, rng: random.Random) -> None:
    """
    However the chains interleave and whichever steps fail, the board, counting groups,
    readies, pauses and skips exactly what the plan's waits, taken pair by pair, say it
    should, decision after decision.
    """
    plan = hm.plan(ir, default_runner="local")
    for _ in range(10):
        _drive(plan, rng)


@settings(max_examples=100, deadline=None)
@given(_crossing_waits(), st.randoms(use_true_random=False))
def test_the_board_decides_as_the_pairs_when_a_chain_waits_mid_way_for_overlapping_groups(
    ir: hm.PipelineIR, rng: random.Random
) -> None:
    """
    The same, where it is subtle: a wait leaves out the steps an earlier step of its chain
    already waited for, and a failure among them, let through then, must not hold it.
    That shows in few interleavings, so each plan is driven many times.
    """
    plan = hm.plan(ir, default_runner="local")
    for _ in range(50):
        _drive(plan, rng)
