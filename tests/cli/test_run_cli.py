"""`hm run` as a command: how it names a pipeline, and how a source it cannot pack ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from tests.host.source_trees import beyond_path_max
from tests.run.rig import TIMEOUT_SECONDS, command, until

if TYPE_CHECKING:
    from tests.run.rig import Project

_TWO_PIPELINES = """\
import harmont as hm


@hm.pipeline("first")
def first():
    return [hm.sh("echo from first", label="say")]


@hm.pipeline("second")
def second():
    return [hm.sh("echo from second", label="say")]
"""


def _section(help_text: str, title: str) -> str:
    """The lines of one section (``Arguments:``) of a command's --help."""
    return help_text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]


def _option(help_text: str, flag: str) -> str:
    """The help line of one option, whitespace collapsed."""
    options = _section(help_text, "Options")
    start = options.index(flag)
    end = options.find("\n  -", start)
    return " ".join(options[start : None if end < 0 else end].split())


class TestNamingAPipeline:
    def test_run_and_render_declare_the_pipeline_the_same_way(self, project: Project) -> None:
        """Both commands show one argument, [PIPELINE|FILE|-], and one --slug option."""
        run = project.hm("run", "--help", raw=True).stdout
        render = project.hm("render", "--help", raw=True).stdout

        assert (
            _section(render, "Arguments"),
            _option(render, "--slug"),
            _option(render, "-d, --dir"),
        ) == (_section(run, "Arguments"), _option(run, "--slug"), _option(run, "-d, --dir"))
        assert "Usage: hm run [OPTIONS] [PIPELINE|FILE|-]" == run.splitlines()[0]

    def test_envelope_file_and_slug_option_run_that_pipeline(self, project: Project) -> None:
        """`hm run FILE --slug S` runs pipeline S of an envelope file."""
        (project.root / ".harmont").mkdir()
        (project.root / ".harmont" / "pipelines.py").write_text(_TWO_PIPELINES)
        envelope = project.root / "envelope.json"
        envelope.write_text(project.hm("pipelines", raw=True).stdout)

        done = project.hm(
            "run",
            str(envelope),
            "--slug",
            "second",
            "--runner",
            "local",
            "--format",
            "json",
            raw=True,
        )

        assert (0, ["from second"]) == (done.returncode, done.logs("say"))

    def test_repo_and_envelope_file_say_the_same_when_a_slug_is_missing(
        self, project: Project
    ) -> None:
        """Several pipelines and no slug: the repo and a file get one message, naming --slug."""
        (project.root / ".harmont").mkdir()
        (project.root / ".harmont" / "pipelines.py").write_text(_TWO_PIPELINES)
        envelope = project.root / "envelope.json"
        envelope.write_text(project.hm("pipelines", raw=True).stdout)

        from_repo = project.hm("run", "--runner", "local", raw=True)
        from_file = project.hm("run", str(envelope), "--runner", "local", raw=True)

        assert (
            2,
            "error: this repo declares pipelines: first, second — pass one with --slug\n",
            2,
            f"error: envelope {envelope} declares pipelines: first, second — "
            "pass one with --slug\n",
        ) == (from_repo.returncode, from_repo.stderr, from_file.returncode, from_file.stderr)


class TestSource:
    def test_unreadable_file_is_exit_2_naming_it(self, project: Project) -> None:
        """A file of the project that cannot be read is bad input: exit 2, one line, a hint."""
        project.pipeline(command("never", "echo never"))
        unreadable = beyond_path_max(project.root)

        done = project.hm()

        assert (
            2,
            f"error: packing source: cannot read {unreadable}: File name too long\n"
            "hint: make it readable, or leave it out of the source with .gitignore\n",
        ) == (done.returncode, done.stderr)

    @pytest.mark.parametrize(
        ("variable", "limit"), [(None, "512 MiB"), ("1K", "1 KiB")], ids=["default", "variable"]
    )
    def test_tree_over_the_limit_is_exit_2_before_any_step(
        self, project: Project, variable: str | None, limit: str
    ) -> None:
        """A tree too big to pack (a stray disk image here) stops the run before any step."""
        project.pipeline(command("never", "echo never"))
        with (project.root / "disk.img").open("wb") as image:
            image.truncate(600 << 20)  # sparse: costs no disk, and is never read
        if variable is not None:
            project.env["HM_MAX_SOURCE_BYTES"] = variable

        done = project.hm()

        assert (
            2,
            f"error: packing source: the files to pack under {project.root} exceed {limit} "
            "(600 MiB counted when 'disk.img' was reached)\n"
            "hint: leave large files out with .gitignore, pass the project root with -d, or "
            "raise HM_MAX_SOURCE_BYTES (0 lifts the limit)\n",
            "",
        ) == (done.returncode, done.stderr, done.stdout)

    def test_bad_limit_is_exit_2(self, project: Project) -> None:
        """A limit that is not a byte count is a usage error."""
        project.pipeline(command("never", "echo never"))
        project.env["HM_MAX_SOURCE_BYTES"] = "lots"

        done = project.hm()

        assert (
            2,
            "error: HM_MAX_SOURCE_BYTES: expected a byte count such as 536870912 or 512M, "
            "got 'lots'\nhint: 0 lifts the limit\n",
        ) == (done.returncode, done.stderr)


class TestCtrlCWhileImporting:
    def test_sigint_during_discovery_exits_130_at_once(self, project: Project) -> None:
        """Ctrl-C while the pipeline files import ends `hm run` at once with exit 130."""
        marker = project.root / "importing"
        (project.root / ".harmont").mkdir()
        (project.root / ".harmont" / "p.py").write_text(
            f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(60)\n"
        )
        hm = subprocess.Popen(
            [sys.executable, "-m", "harmont_cli", "run", "--runner", "local"],
            cwd=project.root,
            env=project.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        until(marker.exists, "the pipeline file to start importing")
        hm.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, stderr = hm.communicate(timeout=TIMEOUT_SECONDS)

        assert time.monotonic() - started < 5
        assert 130 == hm.returncode
        assert stderr.endswith(
            f"error: cancelled while importing the pipeline files of {project.root.resolve()}\n"
        )
