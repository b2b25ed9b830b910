"""
Each chain's live shell session, through `hm run` on both runners: framing, isolation of
steps, daemons, and trees that hold odd names and links.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont.protocol import StepEnd
from tests.run.conftest import RUNNERS
from tests.run.rig import command

if TYPE_CHECKING:
    from tests.run.rig import Project


def _kill_marked(marker: str) -> None:
    """
    SIGKILL the processes whose command line, its arguments joined by spaces, holds *marker*
    (a test's own daemons: ``sleep N`` is the two arguments ``sleep`` and ``N``).
    """
    for proc in Path("/proc").iterdir():
        try:
            if marker.encode() in (proc / "cmdline").read_bytes().replace(b"\0", b" "):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def _step_exit_codes(project: Project, *args: str) -> tuple[int, dict[str, int], str]:
    build = project.hm(*args)
    keys = build.keys()
    codes = {keys[end.step_id]: end.exit_code for end in build.of(StepEnd)}
    return build.returncode, codes, build.stderr


class TestFraming:
    """Whatever a step prints, its output and its exit status come back intact."""

    def test_arbitrary_bytes_reach_the_log_and_the_next_step_runs(self, project: Project) -> None:
        """A step that prints every byte value (no final newline) is framed, and so is the next."""
        noise = bytes(range(256)) * 4
        (project.root / "noise.bin").write_bytes(noise)
        project.pipeline(
            command("noise", "cat noise.bin; cat noise.bin >&2; exit 3"),
            command("other", "echo after"),
        )

        build = project.hm("--keep-going")
        keys = build.keys()
        codes = {keys[end.step_id]: end.exit_code for end in build.of(StepEnd)}

        assert {"noise": 3, "other": 0} == codes
        assert ["after"] == build.logs("other")

    def test_fake_sentinels_and_a_missing_newline(self, project: Project) -> None:
        """Lines that look like any framing record are output; a last line needs no newline."""
        fakes = "S 1\\nE 0\\n__hm_s=0\\nE 0"
        project.pipeline(
            command("fake", f"printf '{fakes}'; printf '{fakes}' >&2; exit 5"),
            command("next", "printf 'no newline'", builds_in=None),
        )

        build = project.hm("--keep-going")
        keys = build.keys()
        codes = {keys[end.step_id]: end.exit_code for end in build.of(StepEnd)}

        assert {"fake": 5, "next": 0} == codes
        assert sorted(["S 1", "E 0", "__hm_s=0", "E 0"] * 2) == sorted(build.logs("fake"))
        assert ["no newline"] == build.logs("next")

    @pytest.mark.slow
    def test_huge_output_arrives_whole(self, project: Project) -> None:
        """20,000 numbered lines on stdout, then the chain goes on."""
        project.pipeline(
            command("loud", "i=0; while [ $i -lt 20000 ]; do echo $i; i=$((i+1)); done"),
            command("after", "echo done", builds_in="loud"),
        )

        build = project.hm()
        lines = build.logs("loud")

        assert 0 == build.returncode, build.stderr
        assert [str(i) for i in range(20_000)] == lines
        assert ["done"] == build.logs("after")


class TestIsolation:
    """Steps of one chain share files and nothing else."""

    def test_env_and_cwd_do_not_leak_to_the_next_step(self, project: Project) -> None:
        """An export, a cd, a shell variable and a trap of one step are gone in the next."""
        project.pipeline(
            command(
                "first",
                "echo x > here.txt; export LEAK=1; plain=2; cd /; trap 'echo trapped' EXIT",
                env={"OWN": "first"},
            ),
            command(
                "second",
                'echo "[${LEAK:-}] [${plain:-}] [${OWN:-}] [${OLDPWD:-}]"; cat here.txt; pwd',
                builds_in="first",
            ),
        )

        build = project.hm()

        assert 0 == build.returncode, build.stderr
        assert ["trapped"] == build.logs("first")
        [line, content, cwd] = build.logs("second")
        assert ("[] [] [] []", "x") == (line, content)
        assert "/" != cwd

    def test_stdin_is_not_the_sessions(self, project: Project) -> None:
        """A step reading stdin reads nothing: the scripts of the next steps stay unread."""
        project.pipeline(
            command("reader", "cat; echo read-done"),
            command("next", "echo next-ran", builds_in="reader"),
        )

        build = project.hm()

        assert 0 == build.returncode, build.stderr
        assert (["read-done"], ["next-ran"]) == (build.logs("reader"), build.logs("next"))

    @pytest.mark.parametrize("runner", [r for r in RUNNERS if r != "local"])
    def test_a_step_that_kills_its_session_fails_alone(self, project: Project) -> None:
        """
        Killing the chain's shell fails that step; another chain is untouched.

        Only the runners that keep a shell per chain: a local step's parent is `hm` itself,
        as a recipe's is make, and a signal to it stops the build
        (``test_stop_signals.py``).
        """
        project.pipeline(
            command("killer", "kill -9 $PPID; sleep 5"),
            command("bystander", "echo fine"),
        )

        returncode, codes, _ = _step_exit_codes(project, "--keep-going")

        assert 1 == returncode
        assert 0 != codes["killer"]
        assert 0 == codes["bystander"]

    def test_after_a_timeout_the_run_goes_on(self, project: Project) -> None:
        """A timed-out step fails alone; an independent chain still runs its steps."""
        project.pipeline(
            command("slow", "sleep 30", timeout_seconds=1),
            command("a", "echo a"),
            command("b", "echo b", builds_in="a"),
        )

        started = time.monotonic()
        returncode, codes, _ = _step_exit_codes(project, "--keep-going")

        assert (1, {"slow": 124, "a": 0, "b": 0}) == (returncode, codes)
        assert time.monotonic() - started < 20


class TestDaemons:
    """A step ends when its shell exits, whatever it left holding its output."""

    @pytest.mark.parametrize("launch", ["", "setsid "])
    def test_a_background_child_holding_stdout_does_not_hold_the_step(
        self, project: Project, launch: str
    ) -> None:
        """A child left holding the step's stdout cannot hold the step; an escapee is named."""
        # A number of this test's own: the same test for another runner may run at once in
        # another worker, and its clean-up must not kill this one's step (whose command
        # line holds the daemon's too).
        daemon = f"sleep {secrets.randbelow(10**9) + 10**9}"
        project.pipeline(
            command("daemon", f"{launch}sh -c 'echo up; {daemon}' & sleep 0.5; echo main"),
            command("next", "echo next", builds_in="daemon"),
        )

        started = time.monotonic()
        try:
            build = project.hm()
        finally:
            _kill_marked(daemon)
        elapsed = time.monotonic() - started
        warnings = [line for line in build.stderr.splitlines() if "process group" in line]

        assert 0 == build.returncode, build.stderr
        assert ["up", "main"] == sorted(build.logs("daemon"), reverse=True)
        assert ["next"] == build.logs("next")
        assert elapsed < 30
        # On docker the session kills every process of the container, escaped or not.
        escaped = launch and project.runner == "local"
        assert (1 if escaped else 0) == len(warnings), build.stderr


class TestTrees:
    """Any tree git can hold is packed, started, forked and restored on both runners."""

    def test_absolute_symlinks_and_undecodable_names_survive_forks_and_the_cache(
        self, project: Project
    ) -> None:
        """An absolute link and a non-UTF-8 name are in every chain, forked or cached."""
        (project.root / "abs-link").symlink_to("/etc/hostname")
        (project.root / "dir").mkdir()
        (project.root / "dir" / "rel-link").symlink_to("../src.txt")
        (project.root / "src.txt").write_text("source\n")
        os.close(os.open(os.fsencode(project.root) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
        listing = "ls -1 | od -c | head -3 >/dev/null; readlink abs-link; readlink dir/rel-link"
        project.pipeline(
            command("root", listing, cache={"policy": "forever", "key": os.urandom(16).hex()}),
            command("left", listing, builds_in="root"),
            command("right", f"{listing}; ls | grep -c caf", builds_in="root"),
        )

        first = project.hm()
        second = project.hm()

        for build in (first, second):
            assert 0 == build.returncode, build.stderr
            assert ["/etc/hostname", "../src.txt"] == build.logs("left")
            assert ["/etc/hostname", "../src.txt", "1"] == build.logs("right")
