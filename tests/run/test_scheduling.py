"""`hm run` end to end: state down chains, isolated forks, waits, parallelism, env."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from harmont.protocol import (
    BuildEnd,
    BuildStart,
    StdStream,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
)
from tests.run.rig import TIMEOUT_SECONDS, Build, command, wait

if TYPE_CHECKING:
    from datetime import datetime

    from tests.run.rig import Project


def _interval(build: Build, key: str) -> tuple[datetime, datetime]:
    """When step *key* printed ``begin`` and ``end``, by the step_log timestamps."""
    ids = {i for i, k in build.keys().items() if k == key}
    stamps = {e.line: e.ts for e in build.of(StepLog) if e.step_id in ids}
    return stamps["begin"], stamps["end"]


class TestChains:
    def test_steps_of_a_chain_inherit_state(self, project: Project) -> None:
        """Each step of a chain sees the files the steps before it wrote."""
        project.pipeline(
            command("one", "echo one > state.txt"),
            command("two", "echo two >> state.txt", builds_in="one"),
            command("three", "cat state.txt", builds_in="two"),
        )

        build = project.hm()

        assert 0 == build.returncode, build.stderr
        assert ["one", "two"] == build.logs("three")

    def test_fork_children_do_not_see_each_other(self, project: Project) -> None:
        """Both children of a fork see the parent's files and never a sibling's writes."""
        project.pipeline(
            command("parent", "echo parent > parent.txt"),
            command(
                "left",
                "echo left > left.txt; sleep 0.5; cat parent.txt; test ! -e right.txt",
                builds_in="parent",
            ),
            command(
                "right",
                "echo right > right.txt; sleep 0.5; cat parent.txt; test ! -e left.txt",
                builds_in="parent",
            ),
        )

        build = project.hm("--parallelism", "2")

        assert 0 == build.returncode, build.stderr
        assert (["parent"], ["parent"]) == (build.logs("left"), build.logs("right"))

    def test_pipeline_from_stdin(self, project: Project) -> None:
        """`hm run -` reads the IR document from stdin."""
        path = project.pipeline(command("hi", "echo from stdin"))
        argv = project.argv()
        argv[argv.index("pipeline.json")] = "-"

        done = subprocess.run(
            argv,
            cwd=project.root,
            env=project.env,
            input=path.read_text(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )

        assert ["from stdin"] == Build(done.returncode, done.stdout, done.stderr).logs("hi")

    def test_source_is_extracted_into_every_chain(self, project: Project) -> None:
        """A chain root finds the project's files in its working directory."""
        (project.root / "hello.txt").write_text("from the source tree\n")
        project.pipeline(command("read", "cat hello.txt"))

        build = project.hm()

        assert ["from the source tree"] == build.logs("read")


class TestOrdering:
    def test_wait_orders_steps_after_everything_before_it(self, project: Project) -> None:
        """A step after a wait starts only once every step before the wait has ended."""
        project.pipeline(
            command("a", "sleep 0.3"),
            command("b", "sleep 0.1"),
            wait(),
            command("after", "true"),
        )

        build = project.hm("--parallelism", "4")
        keys = build.keys()
        order = [
            (type(e).__name__, keys[e.step_id])
            for e in build.events
            if isinstance(e, StepStart | StepEnd)
        ]

        assert 0 == build.returncode, build.stderr
        assert ("StepStart", "after") == order[-2]
        assert {("StepEnd", "a"), ("StepEnd", "b")} <= set(order[:-2])

    def test_parallelism_two_overlaps_independent_chains(self, project: Project) -> None:
        """With --parallelism 2 two independent chains run at the same time."""
        # Two pods may start seconds apart on a loaded node: each step outlasts that.
        pause = 8 if project.runner == "kubernetes" else 0.6
        project.pipeline(
            command("x", f"echo begin; sleep {pause}; echo end"),
            command("y", f"echo begin; sleep {pause}; echo end"),
        )

        build = project.hm("--parallelism", "2")
        (x_begin, x_end), (y_begin, y_end) = _interval(build, "x"), _interval(build, "y")

        assert 0 == build.returncode, build.stderr
        assert x_begin < y_end
        assert y_begin < x_end

    def test_parallelism_one_runs_chains_one_at_a_time(self, project: Project) -> None:
        """With --parallelism 1 no two chains ever run at the same time."""
        project.pipeline(
            command("x", "echo begin; sleep 0.3; echo end"),
            command("y", "echo begin; sleep 0.3; echo end"),
        )

        build = project.hm("--parallelism", "1")
        (x_begin, x_end), (y_begin, y_end) = _interval(build, "x"), _interval(build, "y")

        assert 0 == build.returncode, build.stderr
        assert x_end <= y_begin or y_end <= x_begin

    def test_parallelism_zero_is_a_usage_error(self, project: Project) -> None:
        """--parallelism 0 is refused with exit 2 before anything runs."""
        project.pipeline(command("x", "true"))

        build = project.hm("--parallelism", "0")

        assert 2 == build.returncode
        assert "error: parallelism must be at least 1 (got 0)" in build.stderr
        assert "" == build.stdout


class TestEnvironment:
    def test_cli_env_wins_over_step_env_over_pipeline_env(self, project: Project) -> None:
        """-e beats the step's env, which beats the pipeline's env."""
        project.pipeline(
            command(
                "show",
                'echo "$A/$B/$C"',
                env={"B": "step", "C": "step"},
            ),
            env={"A": "pipeline", "B": "pipeline", "C": "pipeline"},
        )

        build = project.hm("-e", "C=cli")

        assert ["pipeline/step/cli"] == build.logs("show")

    def test_env_flag_needs_key_value(self, project: Project) -> None:
        """-e without '=' is a usage error naming the bad value."""
        project.pipeline(command("x", "true"))

        build = project.hm("-e", "NOVALUE")

        assert 2 == build.returncode
        assert "error: --env expects KEY=VALUE (got 'NOVALUE')" in build.stderr


class TestEvents:
    def test_json_stream_is_one_event_per_line_and_nothing_else(self, project: Project) -> None:
        """Every stdout line decodes as a build event; build_start first, build_end last."""
        project.pipeline(
            command("a", "echo out; echo err >&2"),
            command("b", "echo more", builds_in="a"),
        )

        build = project.hm()
        events = build.events

        assert 0 == build.returncode, build.stderr
        assert len(build.stdout.splitlines()) == len(events)
        assert isinstance(events[0], BuildStart)
        assert BuildEnd(exit_code=0, duration_ms=events[-1].duration_ms) == events[-1]
        assert ["a", "b"] == [e.key for e in build.of(StepQueued)]
        assert {0} == {e.chain_idx for e in build.of(StepQueued)}
        assert (["out", "more"], ["err"]) == (
            [e.line for e in build.of(StepLog) if e.stream is StdStream.STDOUT],
            [e.line for e in build.of(StepLog) if e.stream is StdStream.STDERR],
        )

    def test_step_queued_carries_the_chain_index(self, project: Project) -> None:
        """step_queued.chain_idx is the index of the step's chain, not its position in it."""
        project.pipeline(
            command("root", "true"),
            command("left", "true", builds_in="root"),
            command("right", "true", builds_in="root"),
        )

        build = project.hm("--parallelism", "1")

        assert {"root": 0, "left": 1, "right": 2} == {
            e.key: e.chain_idx for e in build.of(StepQueued)
        }
