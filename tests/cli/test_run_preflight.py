"""`hm run` checks its runners before the build starts: a dead engine is one error, exit 4."""

from __future__ import annotations

import signal
import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest

from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.run.rig import Project


@pytest.fixture
def silent_engine(tmp_path: Path) -> Iterator[tuple[str, threading.Event]]:
    """
    A unix socket that accepts connections and never answers, as a hung engine does: its
    DOCKER_HOST, and an event set once a client connected.
    """
    path = tmp_path / "silent.sock"
    connected = threading.Event()
    held: list[socket.socket] = []
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(8)

        def accept() -> None:
            while True:
                try:
                    held.append(server.accept()[0])
                except OSError:  # the server closed: the test is over
                    return
                connected.set()

        threading.Thread(target=accept, name="silent-engine", daemon=True).start()
        yield f"unix://{path}", connected
    for conn in held:
        conn.close()


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

    def test_ctrl_c_during_the_check_exits_130_at_once(
        self, project: Project, silent_engine: tuple[str, threading.Event]
    ) -> None:
        """Ctrl-C while an engine that never answers is checked ends hm at once, exit 130."""
        project.env["DOCKER_HOST"], connected = silent_engine
        project.pipeline(command("prepare", "true"))
        project.runner = "docker"
        hm = project.start()

        assert connected.wait(TIMEOUT_SECONDS), "hm never connected to the engine"
        hm.send_signal(signal.SIGINT)
        started = time.monotonic()
        stdout, stderr = hm.communicate(timeout=TIMEOUT_SECONDS)

        assert time.monotonic() - started < 2  # the engine's own timeout is 5 s
        assert (130, "", "error: cancelled while checking the runners") == (
            hm.returncode,
            stdout,
            stderr.splitlines()[-1],
        )
