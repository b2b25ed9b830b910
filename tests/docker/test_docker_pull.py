"""
`hm run --pull missing|always|never` against a real registry and the real engine.

Each test pushes an image built from the busybox test image to a ``docker-registry``
running on 127.0.0.1 and removes it locally, then runs `hm run` as a subprocess. What the
engine asked the registry is read from the registry's access log, never guessed from
hm's own output.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from typing import TYPE_CHECKING, Final

import pytest
from docker.errors import NotFound
from registry_rig import PASSWORD, USER, LocalRegistry, forget, free_port

from harmont._executors._docker_engine import inspect_image
from tests.run.rig import TIMEOUT_SECONDS, Project, command, hm_environment, until

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from docker import APIClient

pytestmark = pytest.mark.slow

#: A Ctrl-C must end `hm run` this soon, whatever the pull it interrupts is doing.
_CANCEL_SECONDS: Final = 5.0


@pytest.fixture(scope="module")
def registry(
    tmp_path_factory: pytest.TempPathFactory, docker_registry: str
) -> Iterator[LocalRegistry]:
    """Debian's docker-registry on a free port of 127.0.0.1, stopped after the module."""
    started = LocalRegistry(docker_registry, tmp_path_factory.mktemp("registry"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def private_registry(
    tmp_path_factory: pytest.TempPathFactory, docker_registry: str
) -> Iterator[LocalRegistry]:
    """A registry like :func:`registry` that serves only :data:`USER` (htpasswd)."""
    started = LocalRegistry(docker_registry, tmp_path_factory.mktemp("private"), login=True)
    yield started
    started.stop()


@pytest.fixture
def image(registry: LocalRegistry, docker_api: APIClient, docker_engine: str) -> Iterator[str]:
    """A reference of *registry* holding an image whose /marker says ``one``, not stored."""
    reference = registry.reference()
    registry.push(docker_api, docker_engine, reference, "one")
    yield reference
    forget(docker_api, reference)


@pytest.fixture
def project(tmp_path: Path, image: str) -> Project:
    """A project whose steps run in *image* by default."""
    home = tmp_path / "home"
    home.mkdir()
    return Project(root=tmp_path, runner="docker", env=hm_environment(home), image=image)


def _stored(api: APIClient, reference: str) -> bool:
    try:
        inspect_image(api, reference)
    except NotFound:
        return False
    return True


def _pull_lines(stderr: str, reference: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"pulled {reference}")]


def _pulled_line(reference: str) -> re.Pattern[str]:
    """The line of a pull of a test image: its two layers (the engine may not size them)."""
    return re.compile(rf"pulled {re.escape(reference)}: 2 layers(, \d+ B)? in \S+")


class TestPullMissing:
    """``--pull missing``, the default: pull what is not stored, once."""

    def test_an_absent_image_is_pulled_and_the_build_passes(
        self, project: Project, image: str, registry: LocalRegistry, docker_api: APIClient
    ) -> None:
        """The image is pulled before the build, its step runs in it, and it stays stored."""
        project.pipeline(command("show", "cat /marker"))

        build = project.hm()

        assert (0, ["one"], 1) == (build.returncode, build.logs("show"), registry.pulls(image))
        (line,) = _pull_lines(build.stderr, image)
        assert _pulled_line(image).fullmatch(line), line
        assert _stored(docker_api, image), "the build removed the image it pulled"

    def test_a_second_run_does_not_pull_again(
        self, project: Project, image: str, registry: LocalRegistry
    ) -> None:
        """Once stored, the image is used as it is: the registry hears nothing more."""
        project.pipeline(command("show", "cat /marker"))
        first = project.hm()

        second = project.hm()

        assert (0, 0, 1) == (first.returncode, second.returncode, registry.pulls(image))
        assert [] == _pull_lines(second.stderr, image)

    def test_several_chains_on_one_missing_image_pull_it_once(
        self, project: Project, image: str, registry: LocalRegistry
    ) -> None:
        """Three chains start from the same missing image: one pull, one line saying so
        (off a terminal, before the build's first line), three passing steps."""
        project.pipeline(*(command(key, "true") for key in ("a", "b", "c")))

        build = project.hm("run", "pipeline.json", "--runner", "docker", "-j", "3", raw=True)

        assert (0, 1) == (build.returncode, registry.pulls(image))
        first = build.stderr.split("\n")[0]
        assert _pulled_line(image).fullmatch(first), first
        assert ["build: 3 steps in 3 chains, default runner docker", "3 passed"] == [
            line for line in build.stderr.splitlines()[1:] if line.startswith(("build:", "3 "))
        ]


class TestPullAlways:
    def test_always_pulls_the_new_content_of_a_re_pushed_tag(
        self,
        project: Project,
        image: str,
        registry: LocalRegistry,
        docker_api: APIClient,
        docker_engine: str,
    ) -> None:
        """After the tag moves in the registry, ``missing`` keeps the stored image and
        ``always`` pulls the new one, which the step then sees."""
        project.pipeline(command("show", "cat /marker"))
        assert 0 == project.hm().returncode
        stored = inspect_image(docker_api, image)["Id"]
        registry.push(docker_api, docker_engine, image, "two")
        repository, _, tag = image.rpartition(":")
        docker_api.tag(stored, repository, tag)  # the store still holds "one" under the tag

        try:
            kept = project.hm()
            pulled = project.hm("--pull", "always")
        finally:
            # The tag moved on to "two": "one" is left untagged, and no fixture knows it.
            with contextlib.suppress(NotFound):
                docker_api.remove_image(stored, force=True)

        assert (["one"], ["two"]) == (kept.logs("show"), pulled.logs("show"))
        assert (1, 1) == (len(_pull_lines(pulled.stderr, image)), registry.pulls(image) - 1)


class TestPullFailures:
    """Each failed pull is one error line and a hint, with the exit code of its cause."""

    def test_never_fails_on_a_missing_image_with_exit_2(
        self, project: Project, image: str, registry: LocalRegistry
    ) -> None:
        """``--pull never`` does not pull: the documented line, exit 2, no event."""
        project.pipeline(command("show", "cat /marker"))

        build = project.hm("--pull", "never")

        assert (2, "", 0) == (build.returncode, build.stdout, registry.pulls(image))
        assert [
            f"error: step 'show': image '{image}' is not in the local Docker image store, "
            "and the pull policy is 'never'",
            f"hint: pull it (`docker pull {image}`), or run with `--pull missing`",
        ] == build.stderr.splitlines()

    def test_a_tag_that_does_not_exist_is_exit_2(
        self, project: Project, image: str, registry: LocalRegistry
    ) -> None:
        """The registry's "manifest unknown" is the error, with a `docker login` hint."""
        missing = image.rpartition(":")[0] + ":no-such-tag"
        project.pipeline(command("show", "true", image=missing))

        build = project.hm()

        error, hint = build.stderr.splitlines()
        assert (2, "") == (build.returncode, build.stdout)
        assert error.startswith(
            f"error: step 'show': cannot pull image '{missing}' from {registry.host}: "
        )
        assert "manifest unknown" in error
        assert f"`docker login {registry.host}`" in hint

    def test_a_registry_that_is_down_is_exit_4(self, project: Project) -> None:
        """Nothing listens at the registry's address: exit 4, naming the registry."""
        down = f"127.0.0.1:{free_port()}"
        project.pipeline(command("show", "true", image=f"{down}/harmont-test/gone:1"))

        build = project.hm()

        error, hint = build.stderr.splitlines()
        assert (4, "") == (build.returncode, build.stdout)
        assert error.startswith(
            f"error: step 'show': cannot pull image '{down}/harmont-test/gone:1': "
            f"registry {down} cannot be reached: "
        )
        assert "connection refused" in error
        assert hint.startswith(f"hint: check the connection to {down}")


class TestCredentials:
    """Pulls use the user's Docker credentials, read from their Docker configuration."""

    @pytest.fixture
    def private_image(
        self, private_registry: LocalRegistry, docker_api: APIClient, docker_engine: str
    ) -> Iterator[str]:
        reference = private_registry.reference()
        private_registry.push(docker_api, docker_engine, reference, "secret")
        yield reference
        forget(docker_api, reference)

    def test_without_credentials_access_is_denied_with_exit_2(
        self, tmp_path: Path, private_image: str, private_registry: LocalRegistry
    ) -> None:
        """No login for the registry: the registry's refusal, exit 2, a `docker login` hint."""
        home = tmp_path / "home"
        home.mkdir()
        project = Project(root=tmp_path, runner="docker", env=hm_environment(home))
        project.pipeline(command("show", "cat /marker", image=private_image))

        build = project.hm()

        error, hint = build.stderr.splitlines()
        assert (2, "") == (build.returncode, build.stdout)
        assert error.startswith(f"error: step 'show': cannot pull image '{private_image}' from ")
        assert "no basic auth credentials" in error
        assert f"`docker login {private_registry.host}`" in hint

    def test_the_docker_config_credentials_are_used(
        self, tmp_path: Path, private_image: str, private_registry: LocalRegistry
    ) -> None:
        """What `docker login` writes to $DOCKER_CONFIG/config.json lets the pull through."""
        config = tmp_path / "docker-config"
        config.mkdir()
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (config / "config.json").write_text(
            json.dumps({"auths": {private_registry.host: {"auth": token}}})
        )
        home = tmp_path / "home"
        home.mkdir()
        env = {**hm_environment(home), "DOCKER_CONFIG": str(config)}
        project = Project(root=tmp_path, runner="docker", env=env)
        project.pipeline(command("show", "cat /marker", image=private_image))

        build = project.hm()

        assert (0, ["secret"]) == (build.returncode, build.logs("show")), build.stderr


class _Blackhole:
    """A registry address that accepts connections and never answers: a pull hangs on it."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.host = f"127.0.0.1:{self._server.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._serving = threading.Thread(target=self._serve, daemon=True)
        self._serving.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listening socket shut: the test is over
            while True:
                self.accepted.append(self._server.accept()[0])

    def close(self) -> None:
        """Stop accepting, then close every connection, the last one accepted included."""
        # A shutdown wakes the accept (a close would not); once the thread is done, no
        # connection can come in after the ones closed here.
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._serving.join(timeout=5)
        assert not self._serving.is_alive(), "the shut listening socket left accept() blocked"
        self._server.close()
        for connection in self.accepted:
            connection.close()


def test_ctrl_c_during_a_pull_exits_130_at_once(tmp_path: Path, docker_engine: str) -> None:
    """A Ctrl-C while the engine waits on a registry ends `hm run` at once with exit 130."""
    blackhole = _Blackhole()
    home = tmp_path / "home"
    home.mkdir()
    project = Project(root=tmp_path, runner="docker", env=hm_environment(home))
    project.pipeline(command("a", "true", image=f"{blackhole.host}/harmont-test/hung:1"))
    try:
        process = project.start()
        until(lambda: bool(blackhole.accepted), "the engine to reach the registry")
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
        took = time.monotonic() - interrupted
    finally:
        blackhole.close()

    assert (130, "", "error: cancelled while checking the runners") == (
        process.returncode,
        stdout,
        stderr.splitlines()[-1],
    )
    assert took < _CANCEL_SECONDS, f"took {took:.1f}s"


def test_a_terminal_shows_each_pull_live(
    tmp_path: Path, registry: LocalRegistry, docker_api: APIClient, docker_engine: str
) -> None:
    """On a terminal, a pull is a live line naming the image, then the line it leaves."""
    image = registry.reference()
    registry.push(docker_api, docker_engine, image, "big", size=20_000_000)
    home = tmp_path / "home"
    home.mkdir()
    project = Project(root=tmp_path, runner="docker", env=hm_environment(home), image=image)
    project.pipeline(command("show", "cat /marker"))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    with subprocess.Popen(
        [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "docker"],
        cwd=project.root,
        env=project.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    ) as process:
        os.close(follower)
        try:
            screen = _read_all(leader)
            process.wait(TIMEOUT_SECONDS)
        finally:
            os.close(leader)
            forget(docker_api, image)

    assert 0 == process.returncode
    assert f"pulling {image}" in screen
    assert re.search(rf"pulled {re.escape(image)}: 2 layers, 2\d\.\d MB in \S+\r\n", screen)


def _read_all(fd: int) -> str:
    """Everything written to the terminal whose leader side is *fd*, until it closes."""
    chunks = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every writer closed the follower side
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_cache_clean_leaves_pulled_images_alone(
    tmp_path: Path,
    registry: LocalRegistry,
    docker_api: APIClient,
    docker_engine_exclusive: str,
) -> None:
    """An image `hm run` pulled is the user's: `hm cache clean` does not remove it."""
    reference = registry.reference()
    registry.push(docker_api, docker_engine_exclusive, reference, "one")
    try:
        home = tmp_path / "home"
        home.mkdir()
        project = Project(root=tmp_path, runner="docker", env=hm_environment(home), image=reference)
        project.pipeline(command("show", "cat /marker"))
        assert 0 == project.hm().returncode

        clean = project.hm("cache", "clean", raw=True)

        assert (0, True) == (clean.returncode, _stored(docker_api, reference))
        assert reference not in clean.stdout
    finally:
        forget(docker_api, reference)
