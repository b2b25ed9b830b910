"""`hm run --only` and `hm render --only`: a pipeline cut down to some steps and their needs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.run.rig import command, wait

if TYPE_CHECKING:
    from tests.run.rig import Build, Project

#: setup forks into a (labelled "build a") and b; lint is alone; final waits for them all.
_STEPS = (
    command("setup", "echo setup > s.txt"),
    command("a", "cat s.txt; echo a", builds_in="setup", label="build a"),
    command("b", "echo b", builds_in="setup"),
    command("lint", "echo lint", label="check"),
    wait(),
    command("final", "echo final", label="check"),
)


def _records(build: Build) -> list[dict[str, Any]]:
    return [json.loads(line) for line in build.stdout.splitlines()]


def _ran(build: Build) -> list[str]:
    return sorted(r["key"] for r in _records(build) if r["kind"] == "step_queued")


def _logs(build: Build, key: str) -> list[str]:
    records = _records(build)
    ids = {r["step_id"] for r in records if r["kind"] == "step_queued" and r["key"] == key}
    return [r["line"] for r in records if r["kind"] == "step_log" and r["step_id"] in ids]


class TestRunOnly:
    def test_a_label_runs_its_step_and_its_chain_up_to_it(self, project: Project) -> None:
        """--only by label runs that step and its builds_in parent; it sees the parent's files."""
        project.pipeline(*_STEPS)

        build = project.hm("--only", "build a")

        assert (0, ["a", "setup"], ["setup", "a"]) == (
            build.returncode,
            _ran(build),
            _logs(build, "a"),
        )

    def test_every_other_step_is_a_skipped_record_in_json(self, project: Project) -> None:
        """Unselected steps are step_skipped records right after build_start, never failures."""
        project.pipeline(*_STEPS)

        records = _records(project.hm("--only", "a"))

        assert ["build_start", "step_skipped", "step_skipped", "step_skipped"] == [
            r["kind"] for r in records[:4]
        ]
        assert [
            {"kind": "step_skipped", "key": key, "reason": "selection"}
            for key in ("b", "lint", "final")
        ] == records[1:4]
        assert not [r for r in records if r["kind"] == "chain_failed"]

    def test_waits_pull_in_every_step_they_require(self, project: Project) -> None:
        """A step behind a wait brings every step of the stage before it."""
        project.pipeline(*_STEPS)

        build = project.hm("--only", "final")

        assert (0, ["a", "b", "final", "lint", "setup"]) == (build.returncode, _ran(build))

    def test_repeated_and_comma_separated_options_add_up(self, project: Project) -> None:
        """--only a,lint --only b selects all three (and setup)."""
        project.pipeline(*_STEPS)

        build = project.hm("--only", "a,lint", "--only", "b")

        assert ["a", "b", "lint", "setup"] == _ran(build)

    def test_human_output_says_skipped_not_selected(self, project: Project) -> None:
        """
        The plain output names each unselected step as skipped, by label (with its key
        where the label is shared), and counts them.
        """
        project.pipeline(*_STEPS)

        build = project.hm(
            "run", "pipeline.json", "--runner", "local", "--logs", "--only", "lint", raw=True
        )

        lines = build.stderr.splitlines()
        assert 0 == build.returncode
        assert "- build a  skipped: not selected" in lines
        assert "- check (final)  skipped: not selected" in lines
        assert "1 passed, 4 not selected" in lines
        assert not [line for line in lines if "fail" in line]

    def test_unknown_step_is_usage_error_naming_closest_keys(self, project: Project) -> None:
        """A step the pipeline lacks is exit 2, one error line, and the closest keys."""
        project.pipeline(*_STEPS)

        build = project.hm("--only", "setpu")

        assert (
            2,
            "",
            [
                "error: unknown step 'setpu': no step has that key or label",
                "hint: closest: setup",
            ],
        ) == (build.returncode, build.stdout, build.stderr.splitlines())

    def test_a_label_of_two_steps_is_usage_error(self, project: Project) -> None:
        """A label carried by two steps names them and asks for a key."""
        project.pipeline(*_STEPS)

        build = project.hm("--only", "check")

        assert (2, "error: label 'check' names 2 steps (lint, final)") == (
            build.returncode,
            build.stderr.splitlines()[0],
        )


class TestRenderOnly:
    def test_render_prints_the_reduced_flat_pipeline(self, project: Project) -> None:
        """`hm render --only` prints the same form with only the needed steps."""
        project.pipeline(*_STEPS)

        done = project.hm("render", "pipeline.json", "--only", "a", raw=True)

        assert ["setup", "a"] == [s["key"] for s in json.loads(done.stdout)["steps"]]

    def test_render_reduces_the_graph_form_and_renumbers_edges(self, project: Project) -> None:
        """A DSL pipeline's graph keeps the selected nodes and the edges between them."""
        (project.root / ".harmont").mkdir()
        (project.root / ".harmont" / "p.py").write_text(
            "import harmont as hm\n\n"
            "@hm.pipeline('p')\n"
            "def p():\n"
            "    base = hm.sh('echo base', label='base')\n"
            "    other = hm.sh('echo other', label='other')\n"
            "    return [base, other, base.sh('echo leaf', label='leaf')]\n"
        )

        graph = json.loads(project.hm("render", "--only", "leaf", raw=True).stdout)["graph"]

        labels = [node["step"]["label"] for node in graph["nodes"]]
        assert (["base", "leaf"], [[0, 1, "builds_in"]]) == (labels, graph["edges"])

    def test_the_reduced_pipeline_runs_what_only_runs(self, project: Project) -> None:
        """What render --only prints, run whole, runs the steps run --only runs."""
        project.pipeline(*_STEPS)
        reduced = project.hm("render", "pipeline.json", "--only", "final", raw=True).stdout
        (project.root / "pipeline.json").write_text(reduced)

        assert ["a", "b", "final", "lint", "setup"] == _ran(project.hm())


class TestRunOnlyApi:
    def test_result_marks_left_out_steps_unselected(self, project: Project) -> None:
        """harmont.run(only=...) returns the left-out steps as skipped, selected=False."""
        import harmont
        from tests.run.rig import run_bounded

        seen: list[object] = []
        document = {"version": "0", "steps": list(_STEPS)}

        result = run_bounded(
            document, directory=project.root, runner="local", only=["b"], on_event=seen.append
        )

        assert (0, {"setup", "b"}) == (
            result.exit_code,
            {s.key for s in result.steps if s.selected},
        )
        assert [("a", False), ("lint", False), ("final", False)] == [
            (s.key, s.selected) for s in result.steps if s.status is harmont.StepStatus.SKIPPED
        ]
        assert ["a", "lint", "final"] == [e.key for e in seen if isinstance(e, harmont.StepSkipped)]


def test_help_lists_the_commands_and_options(project: Project) -> None:
    """hm --help lists debug; hm run --help lists --only, --secret, -i and --shell."""
    top = project.hm("--help", raw=True).stdout
    run = project.hm("run", "--help", raw=True).stdout

    assert "debug" in top
    assert [] == [
        flag for flag in ("--only", "--secret", "--interactive", "--shell") if flag not in run
    ]
