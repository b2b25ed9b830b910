"""The docker runner's pre-flight check: a missing image stops `hm run` before any step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.run.rig import Project, command, hm_environment

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_image_is_one_error_before_any_step(tmp_path: Path, docker_engine: str) -> None:
    """A chain root whose image is not stored fails the run with exit 6 and no event."""
    home = tmp_path / "home"
    home.mkdir()
    project = Project(root=tmp_path, runner="docker", env=hm_environment(home), image=docker_engine)
    project.pipeline(
        command("prepare", "true"),
        command("other", "true", image="harmont-test/never-built:1"),
    )

    build = project.hm()

    lines = build.stderr.splitlines()
    assert (6, "", ["error", "hint"]) == (
        build.returncode,
        build.stdout,
        [line.split(":")[0] for line in lines],
    )
    assert (
        "error: docker: step 'other': image 'harmont-test/never-built:1' is not in the local "
        "Docker image store, and harmont never pulls images"
    ) == lines[0]
