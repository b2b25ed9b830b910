"""The scheduler's book of waits: a wait is one group of steps, counted once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import harmont as hm
from harmont._ir import _plan
from harmont._ir._model import PipelineIR, WaitBarrier
from harmont._orchestrator._waits import WaitBoard
from harmont.protocol import CommandStep

if TYPE_CHECKING:
    import pytest


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
