"""`hm run` end to end: failed steps, fail-fast and --keep-going, timeouts, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING

import pytest

from harmont._orchestrator._signals import FIRST_PRESS
from harmont.protocol import BuildEnd, ChainFailed, StepEnd, StepQueued
from tests.run.rig import TIMEOUT_SECONDS, command, live_commands, survivors, until, wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Build, Project


def _exit_codes(build: Build) -> dict[str, int]:
    keys = build.keys()
    return {keys[e.step_id]: e.exit_code for e in build.of(StepEnd)}


class TestFailedStep:
    def test_failure_exits_1_with_chain_failed(self, project: Project) -> None:
        """A step exiting 3 fails the build: exit 1, chain_failed naming step and code."""
        project.pipeline(
            command("ok", "true"),
            command("bad", "echo about to fail; exit 3", builds_in="ok"),
            command("never", "true", builds_in="bad"),
        )

        build = project.hm()
        [failed] = build.of(ChainFailed)

        assert 1 == build.returncode
        assert ("bad", 3, 0) == (failed.failed_step_key, failed.exit_code, failed.chain_idx)
        assert "step 'bad' exited with code 3" == failed.message
        assert ["ok", "bad"] == [e.key for e in build.of(StepQueued)]
        assert 1 == build.of(BuildEnd)[0].exit_code

    def test_fail_fast_cancels_running_chains(self, project: Project) -> None:
        """By default a failure kills the steps of other chains (exit 130) and skips the rest."""
        project.pipeline(
            command("slow", "sleep 30"),
            command("bad", "sleep 0.3; exit 1"),
            wait(),
            command("later", "true"),
        )

        started = time.monotonic()
        build = project.hm("--parallelism", "2")

        assert 1 == build.returncode
        assert {"slow": 130, "bad": 1} == _exit_codes(build)
        assert time.monotonic() - started < 15

    def test_keep_going_lets_independent_chains_finish(self, project: Project) -> None:
        """With --keep-going an independent chain finishes; the failed chain's dependants skip."""
        project.pipeline(
            command("bad", "exit 1"),
            command("child", "true", builds_in="bad"),
            command("other", "sleep 0.5; echo finished"),
            command("other-next", "true", builds_in="other"),
        )

        build = project.hm("--keep-going", "--parallelism", "2")

        assert 1 == build.returncode
        assert {"bad": 1, "other": 0, "other-next": 0} == _exit_codes(build)

    @pytest.mark.parametrize("mode", [(), ("--keep-going",)], ids=["fail-fast", "keep-going"])
    def test_continue_on_failure_wait_runs_what_follows(
        self, project: Project, mode: tuple[str, ...]
    ) -> None:
        """Steps behind a continue_on_failure wait run even though a step before it failed."""
        project.pipeline(
            command("bad", "exit 1"),
            wait(continue_on_failure=True),
            command("cleanup", "echo cleaning up"),
        )

        build = project.hm(*mode)

        assert 1 == build.returncode
        assert ["cleaning up"] == build.logs("cleanup")

    def test_plain_wait_skips_what_follows_a_failure(self, project: Project) -> None:
        """Steps behind an ordinary wait never start when a step before it failed."""
        project.pipeline(command("bad", "exit 1"), wait(), command("after", "true"))

        build = project.hm("--keep-going")

        assert ["bad"] == [e.key for e in build.of(StepQueued)]


class TestTimeouts:
    def test_step_timeout_kills_the_step(self, project: Project) -> None:
        """A step over its timeout_seconds is killed: exit 124 and a line saying so."""
        project.pipeline(command("hang", "sleep 30", timeout_seconds=1))

        started = time.monotonic()
        build = project.hm()
        [failed] = build.of(ChainFailed)

        assert 1 == build.returncode
        assert {"hang": 124} == _exit_codes(build)
        assert "step 'hang' timed out after 1s" == failed.message
        assert ["step timed out after 1s"] == build.logs("hang")
        assert time.monotonic() - started < 15

    def test_pipeline_timeout_cancels_the_build(self, project: Project) -> None:
        """The pipeline's timeout_seconds cancels what runs and fails the build."""
        project.pipeline(command("hang", "sleep 30"), timeout_seconds=1)

        started = time.monotonic()
        build = project.hm()

        assert 1 == build.returncode
        assert {"hang": 130} == _exit_codes(build)
        assert "build failed: pipeline timed out after 1s" in build.stderr
        assert time.monotonic() - started < 15


class TestCtrlC:
    @pytest.mark.parametrize("presses", [1, 2])
    def test_sigint_cancels_and_leaves_no_process(
        self, project: Project, tmp_path: Path, presses: int
    ) -> None:
        """Ctrl-C (once, or twice to force) exits 130 and kills every process of the step."""
        # Unique to this test run: another test's sleeps must not count as this one's.
        marker = str(900_000_000 + uuid.uuid4().int % 100_000_000)
        children = {f"sleep {marker}", f"sleep {marker}1"}
        project.pipeline(command("hang", f"sleep {marker} & sleep {marker}1; true"))

        with (tmp_path / "stderr").open("w+") as stderr:
            process = project.start(stderr=stderr)
            until(lambda: children <= set(live_commands(marker)), "the step's two sleeps")
            process.send_signal(signal.SIGINT)
            if presses == 2:
                # A second signal sent before the first is handled may merge with it.
                until(lambda: FIRST_PRESS in (tmp_path / "stderr").read_text(), "first press")
                process.send_signal(signal.SIGINT)
            returncode = process.wait(TIMEOUT_SECONDS)
        assert process.stdout is not None
        process.stdout.close()

        assert 130 == returncode
        assert FIRST_PRESS in (tmp_path / "stderr").read_text()
        assert [] == survivors(marker)

    def test_sigint_outside_a_build_is_cancelled_exit_130(
        self, local_project: Project, tmp_path: Path
    ) -> None:
        """Ctrl-C in a command that runs no build (`hm pipelines`): 'error: cancelled', 130."""
        importing = tmp_path / "importing"
        (local_project.root / ".harmont").mkdir()
        (local_project.root / ".harmont" / "hang.py").write_text(
            f"import pathlib, time\npathlib.Path({str(importing)!r}).touch()\ntime.sleep(60)\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "harmont_cli", "pipelines"],
            cwd=local_project.root,
            env=local_project.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        until(importing.exists, "the pipeline file to start importing")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)

        assert (130, "", "error: cancelled\n") == (process.returncode, stdout, stderr)


class TestRunners:
    def test_unknown_runner_exits_7_listing_runners(self, project: Project) -> None:
        """A step naming a runner nobody provides is refused before anything runs."""
        project.pipeline(command("x", "true", runner="k8s"))

        build = project.hm()

        assert 7 == build.returncode
        assert "unknown runner 'k8s'" in build.stderr
        assert f"{project.runner}" in build.stderr.split("available:")[1]
        assert "" == build.stdout

    def test_a_disabled_runner_exits_7_saying_how_to_enable_it(self, project: Project) -> None:
        """`-p no:R --runner R` names the disabled plugin and the option to drop, not an install."""
        project.pipeline(command("x", "true"))

        build = project.hm("-p", f"no:{project.runner}", *project.argv()[3:], raw=True)

        assert 7 == build.returncode
        assert (
            f"hint: enable it by dropping `-p no:{project.runner}`" == build.stderr.splitlines()[-1]
        )
        assert f"plugin '{project.runner}' is disabled" in build.stderr

    def test_a_disabled_default_runner_says_how_to_enable_it(self, local_project: Project) -> None:
        """With `-p no:docker` and no --runner, the hint drops the option, not installs docker."""
        local_project.pipeline(command("x", "true"))

        build = local_project.hm("-p", "no:docker", "run", "pipeline.json", raw=True)

        assert (7, ["error", "hint"]) == (
            build.returncode,
            [line.split(":")[0] for line in build.stderr.splitlines()],
        )
        assert (
            "hint: pass --runner NAME (e.g. --runner local), or enable it by dropping "
            "`-p no:docker`"
        ) == build.stderr.splitlines()[-1]
        assert "plugin 'docker', which provides one, is disabled" in build.stderr
