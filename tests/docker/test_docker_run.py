"""`hm run --runner docker` end to end: what the engine holds after a run, and the errors."""

from __future__ import annotations

import signal
import subprocess
from typing import TYPE_CHECKING

import pytest
from docker_rig import run_leftovers

from harmont._orchestrator._signals import FIRST_PRESS
from harmont.protocol import BuildEvent, BuildStart, StepLog, from_json
from tests.run.rig import TIMEOUT_SECONDS, Build, Project, command, until

if TYPE_CHECKING:
    import uuid
    from pathlib import Path

    from docker import APIClient


def _forked_pipeline(project: Project, child_cmd: str = "true", **fields: object) -> None:
    """A parent committed for two children: the run holds containers and an ephemeral image."""
    project.pipeline(
        command("parent", "echo p > p.txt"),
        command("left", child_cmd, builds_in="parent", **fields),
        command("right", "cat p.txt", builds_in="parent"),
    )


def _run_id(build: Build) -> uuid.UUID:
    [start] = build.of(BuildStart)
    return start.run_id


class TestNothingLeft:
    """No container and no ephemeral image of a run survives it, whatever its outcome."""

    def test_after_success(self, project: Project, docker_api: APIClient) -> None:
        """A green run with a fork leaves nothing behind."""
        _forked_pipeline(project)
        build = project.hm()

        assert 0 == build.returncode, build.stderr
        assert ([], []) == run_leftovers(docker_api, _run_id(build))

    def test_after_failure(self, project: Project, docker_api: APIClient) -> None:
        """A failed step's run leaves nothing behind."""
        _forked_pipeline(project, "exit 3")
        build = project.hm()

        assert 1 == build.returncode
        assert ([], []) == run_leftovers(docker_api, _run_id(build))

    def test_after_timeout(self, project: Project, docker_api: APIClient) -> None:
        """A timed-out step's run leaves nothing behind."""
        _forked_pipeline(project, "sleep 60", timeout_seconds=1)
        build = project.hm()

        assert 1 == build.returncode
        assert ([], []) == run_leftovers(docker_api, _run_id(build))

    @pytest.mark.parametrize("presses", [1, 2])
    def test_after_sigint(
        self, project: Project, docker_api: APIClient, tmp_path: Path, presses: int
    ) -> None:
        """Ctrl-C, once or twice (force), mid-step leaves nothing behind."""
        _forked_pipeline(project, "echo started; sleep 60")
        # SIGABRT makes an `hm` that outlives the test's patience print where each thread is.
        project.env["PYTHONFAULTHANDLER"] = "1"
        stderr_path = tmp_path / "stderr"
        with stderr_path.open("w+") as stderr:
            process = project.start(stderr=stderr)
            assert process.stdout is not None
            run_id = None
            for line in process.stdout:
                event = from_json(BuildEvent, line)
                if isinstance(event, BuildStart):
                    run_id = event.run_id
                if isinstance(event, StepLog) and event.line == "started":
                    break  # the left child runs its sleep: the run holds all it will hold
            process.send_signal(signal.SIGINT)
            if presses == 2:
                # A second signal sent before the first is handled may merge with it.
                until(lambda: FIRST_PRESS in stderr_path.read_text(), "the first press")
                process.send_signal(signal.SIGINT)
            try:
                returncode = process.wait(TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGABRT)
                process.wait()
                pytest.fail(
                    f"hm still ran {TIMEOUT_SECONDS}s after the Ctrl-C; its stderr, "
                    f"with its threads' stacks:\n{stderr_path.read_text()}"
                )
        process.stdout.close()

        assert 130 == returncode
        assert FIRST_PRESS in stderr_path.read_text()
        assert run_id is not None
        assert ([], []) == run_leftovers(docker_api, run_id)


class TestErrors:
    """Errors a user of the docker runner meets, each one clear line and the right code."""

    def test_a_missing_image_names_step_image_and_fixes(self, project: Project) -> None:
        """A step whose image is absent, under ``--pull never``, fails the run with exit 2."""
        project.pipeline(command("compile", "true", image="harmont-test/never-built:1"))

        build = project.hm("--pull", "never")

        error, hint = build.stderr.splitlines()
        assert (
            2,
            "error: step 'compile': image 'harmont-test/never-built:1' is not in the "
            "local Docker image store, and the pull policy is 'never'",
        ) == (build.returncode, error)
        assert hint.startswith("hint: pull it (`docker pull harmont-test/never-built:1`)")

    def test_an_unreachable_engine_exits_4_with_the_hint(
        self, project: Project, tmp_path: Path
    ) -> None:
        """DOCKER_HOST naming a dead socket: exit 4, the address, start Docker or --runner local."""
        project.env["DOCKER_HOST"] = f"unix://{tmp_path}/dead.sock"
        project.pipeline(command("a", "true"))

        build = project.hm()

        assert 4 == build.returncode, build.stderr
        assert f"unix://{tmp_path}/dead.sock" in build.stderr
        assert "--runner local" in build.stderr
        assert "Traceback" not in build.stderr


class TestConcurrentCache:
    """Runs that cache the same step at once leave one tagged image and nothing untagged."""

    def test_no_untagged_snapshot_is_left(self, project: Project, docker_api: APIClient) -> None:
        """Three builds cache one key together: every image they made is tagged or gone."""
        import uuid as uuid_module

        key = uuid_module.uuid4().hex * 2
        project.pipeline(
            command("build", "echo built > out.txt", cache={"policy": "forever", "key": key})
        )
        processes = [project.start() for _ in range(3)]
        outputs = [process.communicate(timeout=TIMEOUT_SECONDS) for process in processes]
        run_ids = {
            event.run_id
            for stdout, _ in outputs
            for event in (from_json(BuildEvent, line) for line in stdout.splitlines())
            if isinstance(event, BuildStart)
        }
        tag = f"harmont-local/build:{key[:16]}"
        try:
            made = [
                image
                for image in docker_api.images(filters={"label": "dev.harmont.managed=1"})
                if image["Labels"].get("dev.harmont.run") in {str(r) for r in run_ids}
            ]

            assert [0, 0, 0] == [process.returncode for process in processes]
            assert 3 == len(run_ids)
            assert [[tag]] == [image["RepoTags"] for image in made]
        finally:
            docker_api.remove_image(tag)
