"""
The docker runner's pre-flight check: a missing image stops `hm run` before any step, and
an engine that does not answer stops it within seconds.
"""

from __future__ import annotations

import contextlib
import json
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from tests.run.rig import Project, command, hm_environment

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The pre-flight check's timeout is 5 s; Python start-up and plugin loading come on top.
_WITHIN_SECONDS: Final = 12
_VERSION: Final = json.dumps({"ApiVersion": "1.43", "Version": "24.0.0"}).encode()


class _SilentEngine:
    """
    A UNIX socket that accepts every connection and answers no request, except
    ``GET /version`` when *answers_version*: an engine hung before or after the ping.
    """

    def __init__(self, path: Path, *, answers_version: bool) -> None:
        self.path = path
        self._answers_version = answers_version
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(str(path))
        self._server.listen(16)
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listening socket closed: the test is over
            while True:
                connection, _ = self._server.accept()
                self._held.append(connection)
                with contextlib.suppress(OSError):
                    self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        request = b""
        while chunk := connection.recv(4096):
            request += chunk
            if b"\r\n\r\n" not in request:
                continue
            if not (self._answers_version and request.startswith(b"GET /version ")):
                return  # hold the connection, never answer
            request = b""
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(_VERSION)}\r\n\r\n".encode()
                + _VERSION
            )

    def close(self) -> None:
        self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        for connection in self._held:
            connection.close()
        self._thread.join()


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    """A short directory for a UNIX socket (paths are capped near 108 bytes)."""
    with tempfile.TemporaryDirectory(prefix="hm-") as directory:
        yield Path(directory)


def test_a_missing_image_is_one_error_before_any_step(tmp_path: Path, docker_engine: str) -> None:
    """Under ``--pull never``, a chain root whose image is not stored is exit 2 and no event."""
    home = tmp_path / "home"
    home.mkdir()
    project = Project(root=tmp_path, runner="docker", env=hm_environment(home), image=docker_engine)
    project.pipeline(
        command("prepare", "true"),
        command("other", "true", image="harmont-test/never-built:1"),
    )

    build = project.hm("--pull", "never")

    lines = build.stderr.splitlines()
    assert (2, "", ["error", "hint"]) == (
        build.returncode,
        build.stdout,
        [line.split(":")[0] for line in lines],
    )
    assert (
        "error: step 'other': image 'harmont-test/never-built:1' is not in the local "
        "Docker image store, and the pull policy is 'never'"
    ) == lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answers_version", "doing"),
    [
        (False, "asking for its API version"),
        (True, "looking up image 'harmont-test/never-built:1'"),
    ],
    ids=["ping", "image-lookup"],
)
def test_an_engine_that_never_answers_is_exit_4_within_seconds(
    tmp_path: Path, socket_dir: Path, answers_version: bool, doing: str
) -> None:
    """A socket that accepts and never answers is exit 4 within seconds, not after a minute."""
    engine = _SilentEngine(socket_dir / "docker.sock", answers_version=answers_version)
    home = tmp_path / "home"
    home.mkdir()
    env = {**hm_environment(home), "DOCKER_HOST": f"unix://{engine.path}"}
    project = Project(root=tmp_path, runner="docker", env=env)
    project.pipeline(command("a", "true", image="harmont-test/never-built:1"))

    started = time.monotonic()
    try:
        build = project.hm()
    finally:
        engine.close()
    elapsed = time.monotonic() - started

    error, hint = build.stderr.splitlines()
    assert (
        4,
        f"error: the Docker engine at unix://{engine.path} did not answer within 5s while {doing}",
    ) == (build.returncode, error)
    assert hint.startswith("hint: start Docker")
    assert elapsed < _WITHIN_SECONDS, f"took {elapsed:.1f}s"
