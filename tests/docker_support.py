"""
Docker fixtures shared by tests/docker and the docker runs of tests/run.

Nothing can be pulled on the machines these tests run on, so the base image is built
here, once per session, from the host's static busybox: ``docker import`` of a tar that
holds ``/bin/busybox`` and one symlink per applet (sh, tar, sleep, cat...). A file lock
makes the xdist workers build it once between them.

Without a reachable engine the docker tests are skipped with the reason, except under
``CI=true``, where they fail: CI must never go green by skipping them.

``hm cache clean`` removes every harmont object in the engine, including those of tests
running on other workers; so every test that creates some holds a shared lock for its
duration (:func:`docker_engine`) and the clean tests hold it exclusively
(:func:`docker_engine_exclusive`).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import shutil
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import pytest

from tests.components import unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from docker import APIClient

__all__ = [
    "BASE_IMAGE",
    "docker_api",
    "docker_cli",
    "docker_engine",
    "docker_engine_exclusive",
    "docker_image",
    "docker_registry",
]

#: The image every docker test runs its steps in.
BASE_IMAGE: Final = "harmont-test/busybox:1"

_PT_INTERP: Final = 3
_LOCKS: Final = Path(tempfile.gettempdir())


def _unavailable(reason: str) -> NoReturn:
    unavailable(reason, tests="docker")


def _is_static(path: Path) -> bool:
    """Whether the ELF file *path* has no program interpreter (is statically linked)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit ELF only: what Debian ships here
        return False
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    types = (struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum))
    return _PT_INTERP not in types


def _rootfs(busybox: Path) -> bytes:
    applets = subprocess.run(
        [str(busybox), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory, mode in (("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777)):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        tar.add(busybox, arcname="bin/busybox")
        for applet in applets:
            if applet != "busybox":
                info = tarfile.TarInfo(f"bin/{applet}")
                info.type, info.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(info)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def docker_api() -> Iterator[APIClient]:
    """A client of the local engine; skips (fails under CI=true) when there is none."""
    from harmont._errors import EngineUnavailable
    from harmont._executors._docker_engine import connect

    try:
        api = connect()
    except EngineUnavailable as exc:
        _unavailable(f"no reachable Docker engine ({exc})")
    with api:
        yield api


@pytest.fixture(scope="session")
def docker_image(docker_api: APIClient) -> str:
    """:data:`BASE_IMAGE`, imported from the host's static busybox unless already present."""
    from docker.errors import NotFound

    from harmont._executors._docker_engine import inspect_image

    with (_LOCKS / "harmont-test-busybox-image.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            inspect_image(docker_api, BASE_IMAGE)
        except NotFound:
            found = shutil.which("busybox")
            if found is None or not _is_static(Path(found)):
                _unavailable(
                    "the test base image needs a static busybox (`apt-get install busybox-static`)"
                )
            repository, _, tag = BASE_IMAGE.partition(":")
            docker_api.import_image_from_data(
                _rootfs(Path(found)), repository=repository, tag=tag, changes=["ENV PATH=/bin"]
            )
    return BASE_IMAGE


def _program(name: str, missing: str) -> str:
    """The path of program *name*; skips (fails under CI=true) saying *missing* if none."""
    found = shutil.which(name)
    if found is None:
        _unavailable(missing)
    return str(found)


@pytest.fixture(scope="session")
def docker_registry() -> str:
    """The path of Debian's ``docker-registry``, which the pull tests and bench serve from."""
    return _program(
        "docker-registry", "docker-registry is missing (`apt-get install docker-registry`)"
    )


@pytest.fixture(scope="session")
def docker_cli() -> str:
    """The path of the ``docker`` CLI, whose ``docker pull`` the pull bench races `hm` with."""
    return _program("docker", "the docker CLI is missing (`apt-get install docker.io`)")


@contextlib.contextmanager
def _engine_lock(mode: int) -> Iterator[None]:
    with (_LOCKS / "harmont-test-engine.lock").open("w") as lock:
        fcntl.flock(lock, mode)
        yield


@pytest.fixture
def docker_engine(docker_image: str) -> Iterator[str]:
    """The base image, for a test that creates objects in the engine (shared lock held)."""
    with _engine_lock(fcntl.LOCK_SH):
        yield docker_image


@pytest.fixture
def docker_engine_exclusive(docker_image: str) -> Iterator[str]:
    """The base image, for a test that may remove any harmont object (exclusive lock held)."""
    with _engine_lock(fcntl.LOCK_EX):
        yield docker_image
