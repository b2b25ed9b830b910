"""The planner: chains, forks, waits, env merge, default image, runners and the summary."""

from __future__ import annotations

from typing import Any

import pytest

import harmont as hm
from harmont import ChainDependency, UnknownRunner
from harmont._ir._model import Dependency, PipelineIR, WaitBarrier
from harmont._ir._plan import WaitGroup, wait_units
from harmont.protocol import CommandStep, PlanSummary

_BASELINE = {"DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb"}


def _cmd(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "command", "key": key, "cmd": f"echo {key}", **fields}


def _plan(*steps: dict[str, Any], **options: Any) -> hm.Plan:
    top = {name: options.pop(name) for name in ("env", "default_image") if name in options}
    ir = hm.load_ir({"version": "0", **top, "steps": list(steps)})
    return hm.plan(ir, default_runner=options.pop("default_runner", "docker"), **options)


def _shape(plan: hm.Plan) -> list[tuple[tuple[str, ...], str | None, list[tuple[int, bool]]]]:
    return [
        (
            chain.keys,
            chain.fork_parent,
            [(dependency.chain, dependency.requires_success) for dependency in chain.depends_on],
        )
        for chain in plan.chains
    ]


def _waits(plan: hm.Plan) -> list[list[tuple[str, str, bool]]]:
    return [
        [(wait.step, wait.after, wait.requires_success) for wait in chain.waits]
        for chain in plan.chains
    ]


class TestChains:
    def test_linear_pipeline_is_one_chain(self) -> None:
        """Each step the only child of its parent continues the parent's chain."""
        plan = _plan(_cmd("a"), _cmd("b", builds_in="a"), _cmd("c", builds_in="b"))

        assert [(("a", "b", "c"), None, [])] == _shape(plan)

    def test_fork_ends_the_parent_chain_and_starts_one_per_child(self) -> None:
        """Two children of one parent each start a chain from the parent's end state."""
        plan = _plan(
            _cmd("a"),
            _cmd("b", builds_in="a"),
            _cmd("c", builds_in="b"),
            _cmd("d", builds_in="c"),
            _cmd("e", builds_in="b"),
        )

        assert [
            (("a", "b"), None, []),
            (("c", "d"), "b", [(0, True)]),
            (("e",), "b", [(0, True)]),
        ] == _shape(plan)
        assert frozenset({"b"}) == plan.snapshot_keys

    def test_independent_roots_are_independent_chains(self) -> None:
        """Steps without a parent or a wait between them do not wait for each other."""
        assert [(("a",), None, []), (("b",), None, [])] == _shape(_plan(_cmd("a"), _cmd("b")))

    def test_wait_starts_a_new_chain_depending_on_the_stage_before(self) -> None:
        """A step after a wait starts its own chain, waiting for every chain before."""
        plan = _plan(_cmd("a"), _cmd("b"), {"type": "wait"}, _cmd("c"))

        assert [
            (("a",), None, []),
            (("b",), None, []),
            (("c",), None, [(0, True), (1, True)]),
        ] == _shape(plan)

    def test_continue_on_failure_wait_does_not_require_success(self) -> None:
        """Chains behind a continue_on_failure wait are marked to run whatever happened."""
        plan = _plan(_cmd("a"), {"type": "wait", "continue_on_failure": True}, _cmd("b"))

        assert [(("a",), None, []), (("b",), None, [(0, False)])] == _shape(plan)

    def test_only_child_behind_a_wait_continues_its_parent_chain(self) -> None:
        """A child that also waits for another step stays in its parent's chain and pauses."""
        plan = _plan(_cmd("a"), _cmd("x"), {"type": "wait"}, _cmd("b", builds_in="a"))

        assert [(("a", "b"), None, []), (("x",), None, [])] == _shape(plan)
        assert [[("b", "x", True)], []] == _waits(plan)
        assert frozenset() == plan.snapshot_keys

    def test_two_chains_may_each_wait_mid_way_for_the_other(self) -> None:
        """Waits are on steps: each chain pauses for the other's first step, no cycle."""
        plan = _plan(
            _cmd("a"),
            _cmd("b"),
            {"type": "wait"},
            _cmd("c", builds_in="a"),
            _cmd("d", builds_in="b"),
        )

        assert [(("a", "c"), None, []), (("b", "d"), None, [])] == _shape(plan)
        assert [[("c", "b", True)], [("d", "a", True)]] == _waits(plan)

    @pytest.mark.parametrize(
        ("first", "second", "expected"),
        [
            ("depends_on", "depends_on", [("b", "x", True)]),
            ("after", "after", [("b", "x", False)]),
            ("depends_on", "after", [("b", "x", True)]),
            ("after", "depends_on", [("b", "x", False), ("c", "x", True)]),
        ],
    )
    def test_a_step_already_waited_for_is_waited_for_again_only_to_need_success(
        self, first: str, second: str, expected: list[tuple[str, str, bool]]
    ) -> None:
        """A later step repeats an earlier step's wait only when it needs what it did not."""
        ir = hm.load_ir(
            {
                "version": "0",
                "graph": {
                    "nodes": [{"step": {"key": key, "cmd": "true"}} for key in "axbc"],
                    "edges": [
                        [0, 2, "builds_in"],
                        [2, 3, "builds_in"],
                        [1, 2, first],
                        [1, 3, second],
                    ],
                },
            }
        )

        plan = hm.plan(ir, default_runner="docker")

        assert [(("a", "b", "c"), None, []), (("x",), None, [])] == _shape(plan)
        assert [expected, []] == _waits(plan)

    def test_fork_children_wait_for_their_parent(self) -> None:
        """A fork child's chain waits for the fork parent, whose snapshot it starts from."""
        plan = _plan(_cmd("a"), _cmd("b", builds_in="a"), _cmd("c", builds_in="a"))

        assert [[], [("b", "a", True)], [("c", "a", True)]] == _waits(plan)

    def test_child_whose_only_wait_is_its_parent_continues_the_chain(self) -> None:
        """A wait that only repeats the parent dependency does not split the chain."""
        plan = _plan(_cmd("a"), {"type": "wait"}, _cmd("b", builds_in="a"))

        assert [(("a", "b"), None, [])] == _shape(plan)

    def test_builds_in_needs_the_parent_to_succeed_despite_a_continue_wait(self) -> None:
        """A child starts from its parent's end state, so it needs the parent to pass."""
        plan = _plan(
            _cmd("a"), {"type": "wait", "continue_on_failure": True}, _cmd("b", builds_in="a")
        )

        assert [(("a", "b"), None, [])] == _shape(plan)

    def test_chain_order_respects_dependencies_over_document_order(self) -> None:
        """A document that lists a child first still plans its parent's chain first."""
        ir = hm.load_ir(
            {
                "version": "0",
                "graph": {
                    "nodes": [
                        {"step": {"key": "late", "cmd": "x"}},
                        {"step": {"key": "early", "cmd": "y"}},
                        {"step": {"key": "other", "cmd": "z"}},
                    ],
                    "edges": [[1, 0, "depends_on"]],
                },
            }
        )

        plan = hm.plan(ir, default_runner="docker")

        assert [
            (("early",), None, []),
            (("late",), None, [(0, True)]),
            (("other",), None, []),
        ] == _shape(plan)
        assert [0, 1, 2] == [chain.index for chain in plan.chains]

    def test_chain_of_finds_the_chain_running_a_step(self) -> None:
        """chain_of maps a step key to its chain and raises KeyError for unknown keys."""
        plan = _plan(_cmd("a"), _cmd("b", builds_in="a"), _cmd("c"))

        assert (0, 0, 1) == tuple(plan.chain_of(key).index for key in ("a", "b", "c"))
        with pytest.raises(KeyError):
            plan.chain_of("d")

    def test_a_group_handed_out_keeps_nothing_numbered_by_chains_before_sorting(self) -> None:
        """
        A plan's groups are read by the scheduler: the planner's answers about them, made
        while the chains still had their unsorted numbers, stay with the planner.
        """
        ir = PipelineIR(
            steps=tuple(CommandStep(key=key, cmd="true") for key in ("a", "b", "c")),
            dependencies=(WaitBarrier(steps=("a",), after=("b", "c")),),
        )

        plan = hm.plan(ir, default_runner="local")

        assert 2 == plan.chain_of("a").index  # found first, placed last
        [(_, ((group, _, _),))] = wait_units(plan.chain_of("a"))
        held = [getattr(group, name, None) for name in WaitGroup.__slots__]
        assert ("b", "c") == group.keys
        assert all(value in (None, group.keys, group.keyset) for value in held)

    def test_dependency_kinds_to_one_chain_merge_to_the_strictest(self) -> None:
        """If any edge into a chain needs success, the chain dependency needs success."""
        ir = hm.load_ir(
            {
                "version": "0",
                "graph": {
                    "nodes": [
                        {"step": {"key": "a", "cmd": "x"}},
                        {"step": {"key": "b", "cmd": "y"}},
                        {"step": {"key": "c", "cmd": "z"}},
                    ],
                    "edges": [[0, 1, "builds_in"], [0, 2, "after"], [1, 2, "depends_on"]],
                },
            }
        )

        chain = hm.plan(ir, default_runner="docker").chain_of("c")

        assert (ChainDependency(chain=0, requires_success=True),) == chain.depends_on


class TestCost:
    def test_a_step_waiting_for_thousands_of_steps_alone_and_together_compares_no_two_waits(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        A step with 2,000 single dependencies and one wait on the same 2,000 steps: each
        step is named by two waits, and deciding which of them takes it looks waits up, it
        never searches the step's list of waits for one (2,000 searches of 2,000:
        quadratic planning). Such a search compares groups by ``==``, which is counted here.
        """
        compared = 0

        def counting_eq(group: WaitGroup, other: object) -> bool:
            nonlocal compared
            compared += 1
            return group is other

        count = 2000
        before = tuple(f"d{n}" for n in range(count))
        ir = PipelineIR(
            steps=(
                *(CommandStep(key=key, cmd="true") for key in before),
                CommandStep(key="last", cmd="true"),
            ),
            dependencies=(
                *(Dependency(step="last", after=key) for key in before),
                WaitBarrier(steps=("last",), after=before),
            ),
        )
        with monkeypatch.context() as patch:
            patch.setattr(WaitGroup, "__eq__", counting_eq)
            plan = hm.plan(ir, default_runner="local")

        assert compared < count
        assert count == len(plan.chain_of("last").waits)


class TestPreparedSteps:
    def test_env_merges_baseline_pipeline_step_and_overrides_in_that_order(self) -> None:
        """Later layers win: baseline < pipeline < step < the caller's overrides."""
        plan = _plan(
            _cmd("a", env={"B": "step", "C": "step", "TERM": "xterm"}),
            env={"A": "pipeline", "B": "pipeline", "C": "pipeline"},
        )
        step = plan.chains[0].steps[0]

        assert {
            "DEBIAN_FRONTEND": "noninteractive",
            "TERM": "xterm",
            "A": "pipeline",
            "B": "step",
            "C": "step",
        } == step.env

    def test_caller_overrides_win_over_every_layer(self) -> None:
        """`hm run --env` values replace pipeline and step values alike."""
        ir = hm.load_ir({"version": "0", "env": {"A": "p"}, "steps": [_cmd("a", env={"B": "s"})]})

        plan = hm.plan(ir, default_runner="docker", env={"A": "cli", "B": "cli", "C": "cli"})

        assert {**_BASELINE, "A": "cli", "B": "cli", "C": "cli"} == plan.chains[0].steps[0].env

    def test_graph_form_env_is_kept_as_rendered(self) -> None:
        """The DSL's merged node env plans unchanged (the baseline is already in it)."""
        program = hm.pipeline([hm.sh("make", env={"TERM": "xterm"})], env={"CI": "1"})

        plan = hm.plan(hm.load_ir(program), default_runner="docker")

        assert {"DEBIAN_FRONTEND": "noninteractive", "TERM": "xterm", "CI": "1"} == (
            plan.chains[0].steps[0].env
        )

    def test_default_image_is_stamped_on_roots_without_an_image(self) -> None:
        """Roots get default_image unless they name one; children keep none."""
        plan = _plan(
            _cmd("a"),
            _cmd("b", image="alpine:3"),
            _cmd("c", builds_in="a"),
            default_image="ubuntu:24.04",
        )

        assert {"a": "ubuntu:24.04", "b": "alpine:3", "c": None} == {
            step.key: step.image for chain in plan.chains for step in chain.steps
        }

    def test_steps_naming_no_runner_get_the_default_runner(self) -> None:
        """The plan resolves every step's runner; named ones that exist are kept."""
        plan = _plan(_cmd("a"), _cmd("b", runner="vm"), default_runner="local", runners={"vm"})

        assert ["local", "vm"] == [chain.steps[0].runner for chain in plan.chains]

    def test_unknown_runner_lists_the_available_ones(self) -> None:
        """A runner that no plugin provides fails the plan, naming step, runner and choices."""
        with pytest.raises(UnknownRunner) as info:
            _plan(_cmd("a", runner="k8s"), runners={"local", "vm"})

        assert "step 'a': unknown runner 'k8s' (available: docker, local, vm)" == str(info.value)
        assert ("a", "k8s") == (info.value.step_key, info.value.runner)
        assert UnknownRunner.DEFAULT_HINT == info.value.hint

    def test_runner_args_are_carried_unchanged(self) -> None:
        """runner_args reach the plan as they were written."""
        plan = _plan(_cmd("a", runner="vm", runner_args={"cpus": 2}), runners={"vm"})

        assert {"cpus": 2} == plan.chains[0].steps[0].runner_args


class TestSummary:
    def test_summary_counts_steps_and_chains(self) -> None:
        """step_count counts command steps only; waits are not steps."""
        plan = _plan(
            _cmd("a"),
            _cmd("b", builds_in="a"),
            _cmd("c", builds_in="a"),
            {"type": "wait"},
            _cmd("d"),
            default_runner="local",
        )

        assert PlanSummary(step_count=4, chain_count=4, default_runner="local") == plan.summary

    def test_pipeline_timeout_is_carried(self) -> None:
        """The whole-build budget reaches the plan."""
        ir = hm.load_ir(hm.pipeline([hm.sh("make")], timeout="30m"))

        assert 1800 == hm.plan(ir, default_runner="docker").timeout_seconds

    def test_empty_pipeline_plans_to_nothing(self) -> None:
        """A pipeline without steps has no chains."""
        assert PlanSummary(step_count=0, chain_count=0, default_runner="docker") == (
            _plan().summary
        )


class TestForms:
    def test_flat_and_graph_forms_of_one_pipeline_plan_alike(self) -> None:
        """The DSL's graph form and a hand-written flat form give the same plan."""
        build = hm.sh("echo build", key="build")
        program = hm.pipeline(
            [
                build.sh("echo test", key="test"),
                build.sh("echo lint", key="lint"),
                hm.wait(),
                hm.sh("echo ship", key="ship"),
            ],
            env={"CI": "1"},
        )
        flat = {
            "version": "0",
            "env": {"CI": "1"},
            "default_image": "ubuntu:24.04",
            "steps": [
                {"type": "command", "key": "build", "cmd": "echo build"},
                {"type": "command", "key": "test", "cmd": "echo test", "builds_in": "build"},
                {"type": "command", "key": "lint", "cmd": "echo lint", "builds_in": "build"},
                {"type": "wait"},
                {"type": "command", "key": "ship", "cmd": "echo ship"},
            ],
        }

        from_graph = hm.plan(hm.load_ir(program), default_runner="docker")
        from_flat = hm.plan(hm.load_ir(flat), default_runner="docker")

        assert from_graph == from_flat
