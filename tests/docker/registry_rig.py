"""
A real image registry on 127.0.0.1 for the pull tests: Debian's ``docker-registry``
(the CNCF distribution registry), with a temporary storage directory.

The engine treats registries on 127.0.0.0/8 as insecure-allowed (plain HTTP) with no
daemon configuration, so a registry started here is one ``docker pull`` can use as is.
Its access log is the witness of what the engine asked it: every pull begins with one
``HEAD /v2/<repository>/manifests/<tag>``.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

    from docker import APIClient

__all__ = ["PASSWORD", "USER", "LocalRegistry", "free_port"]

#: How long the registry may take to answer its first request.
_START_SECONDS: Final = 30.0

#: The one account of a registry started with ``login=True``.
USER: Final = "harmont"
PASSWORD: Final = "harmont-test-password"
#: bcrypt (cost 4) of :data:`PASSWORD`, the only hash htpasswd files of the registry take.
_PASSWORD_HASH: Final = "$2b$04$nhVezlYmbwp7d2syg13aXOf7WVxBYH0YF6PXpzoccs6QpDd4V3GhC"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalRegistry:
    """
    ``docker-registry serve`` on 127.0.0.1 at a free port, storing under *directory*.

    :param binary: the registry executable.
    :param login: every request needs :data:`USER`'s credentials (htpasswd auth).
    """

    def __init__(self, binary: str, directory: Path, *, login: bool = False) -> None:
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = directory / "registry.log"
        self.auth_config = {"username": USER, "password": PASSWORD} if login else None
        config = directory / "config.yml"
        text = (
            "version: 0.1\n"
            "log: {level: warn}\n"
            f"storage: {{filesystem: {{rootdirectory: {directory / 'storage'}}}}}\n"
            f"http: {{addr: '{self.host}'}}\n"
        )
        if login:
            users = directory / "htpasswd"
            users.write_text(f"{USER}:{_PASSWORD_HASH}\n")
            text += f"auth: {{htpasswd: {{realm: harmont-test, path: {users}}}}}\n"
        config.write_text(text)
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + _START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answers: "401 Unauthorized" is up, with auth on
            except (urllib.error.URLError, OSError):
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"docker-registry did not start: {self.log.read_text()}"
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the registry and wait for it to exit."""
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def reference(self, tag: str = "1") -> str:
        """A fresh image reference in this registry: a repository no other test uses."""
        return f"{self.host}/harmont-test/pull-{uuid.uuid4().hex[:12]}:{tag}"

    def pulls(self, reference: str) -> int:
        """How many pulls of *reference* the engine has begun against this registry."""
        path = reference.removeprefix(f"{self.host}/")
        repository, _, tag = path.rpartition(":")
        request = f'"HEAD /v2/{repository}/manifests/{tag} '
        return self.log.read_text().count(request)

    def push(
        self, api: APIClient, base: str, reference: str, content: str, *, size: int = 0
    ) -> str:
        """
        Push an image of *base* whose ``/marker`` holds *content* as *reference*, and
        leave no local copy of it: only the registry has it. Returns its image id.

        :param size: bytes of random data the image holds on top (in ``/blob``).
        """
        repository, _, tag = reference.rpartition(":")
        script = f"echo {content} > /marker && head -c {size} /dev/urandom > /blob"
        container = api.create_container(base, ["sh", "-c", script])
        try:
            api.start(container)
            api.wait(container)
            image = api.commit(container, repository=repository, tag=tag)["Id"]
        finally:
            api.remove_container(container, force=True)
        try:
            pushed = api.push(
                repository, tag, stream=True, decode=True, auth_config=self.auth_config
            )
            for message in pushed:
                if "error" in message:
                    raise RuntimeError(f"pushing {reference}: {message['error']}")
        finally:
            forget(api, reference)
        return str(image)


def forget(api: APIClient, reference: str) -> None:
    """Remove *reference* from the local image store, if it is there."""
    from docker.errors import NotFound

    with contextlib.suppress(NotFound):
        api.remove_image(reference)
