"""`hm run` checks its runners before the build starts: a dead engine is one error, exit 4."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.run.rig import command

if TYPE_CHECKING:
    from tests.run.rig import Project


class TestPreflight:
    def test_an_unreachable_engine_is_one_error_before_the_build(self, project: Project) -> None:
        """With the engine down, hm prints only error and hint lines and exits 4."""
        project.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
        project.pipeline(command("prepare", "true"), command("test", "true", builds_in="prepare"))

        build = project.hm("run", "pipeline.json", "--runner", "docker", raw=True)

        lines = build.stderr.splitlines()
        assert (4, ["error", "hint"]) == (build.returncode, [line.split(":")[0] for line in lines])
        assert "cannot reach the Docker engine at unix:///nonexistent/docker.sock" in lines[0]

    def test_json_output_has_no_event_when_the_engine_is_down(self, project: Project) -> None:
        """No build_start is emitted for a build that cannot start."""
        project.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
        project.pipeline(command("prepare", "true"))
        project.runner = "docker"

        build = project.hm()

        assert (4, "") == (build.returncode, build.stdout)
