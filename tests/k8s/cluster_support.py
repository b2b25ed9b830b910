"""
The Kubernetes cluster the ``kubernetes`` tests run against: a real single-node cluster
on this machine, started by the first test session that needs it.

The scripts of tests/k8s/cluster install its Debian packages, build Kubernetes from
Debian's source package (cached outside the checkout, keyed by version: a no-op when
cached, about six minutes cold), build its two images and start it. One cluster per
machine can run (containerd's state directory is fixed), and xdist runs several sessions
at once; so the cluster is shared, not per worker: under a file lock, each session that
needs it registers its PID, the first one starts it, and the last one out stops it by
PID (``stop.sh``). A dead session's PID is dropped by the next one that looks. This keeps
the README's test command (``pytest -n auto``) as it is, where grouping every kubernetes
test on one worker would need ``--dist loadgroup`` everywhere. A cluster that was already
running when the first session came (a developer's) is used and left running.

Without root, Linux or the client library the tests are skipped with the reason, except
under ``CI=true``, where they fail: CI must never go green by skipping them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import pytest

from tests.components import unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["BUSYBOX_IMAGE", "KUBECONFIG", "kube_cluster"]

#: The image every kubernetes test runs its steps in (imported by start.sh).
BUSYBOX_IMAGE: Final = "localhost/busybox:1.35"
_SCRIPTS: Final = Path(__file__).parent / "cluster"
_RUN: Final = Path(os.environ.get("HM_K8S_RUN", "/tmp/harmont-k8s"))
#: The admin kubeconfig start.sh writes.
KUBECONFIG: Final = _RUN / "pki" / "admin.kubeconfig"
_STATE: Final = Path(tempfile.gettempdir())
_LOCK: Final = _STATE / "harmont-k8s-tests.lock"
#: The PIDs of the test sessions using the cluster, one a line.
_USERS: Final = _STATE / "harmont-k8s-tests.users"
#: Present while the cluster running is one these tests started (theirs to stop).
_OWNED: Final = _STATE / "harmont-k8s-tests.owned"
#: Bounds: a cold build is about six minutes on two cores.
_BUILD_SECONDS: Final = 1800
_START_SECONDS: Final = 300


def _unavailable(reason: str) -> NoReturn:
    unavailable(reason, tests="kubernetes")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _users() -> list[int]:
    with contextlib.suppress(FileNotFoundError):
        pids = [int(word) for word in _USERS.read_text().split() if word.isdigit()]
        return [pid for pid in pids if _alive(pid)]
    return []


def _write_users(pids: list[int]) -> None:
    _USERS.write_text("".join(f"{pid}\n" for pid in pids))


def _running() -> bool:
    """Whether a cluster answers on the kubeconfig start.sh writes."""
    if not KUBECONFIG.is_file():
        return False
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(KUBECONFIG), "get", "--raw", "/readyz"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return done.returncode == 0


def _script(name: str, seconds: int) -> None:
    done = subprocess.run(
        ["bash", str(_SCRIPTS / name)], capture_output=True, text=True, timeout=seconds, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        pytest.fail(f"tests/k8s/cluster/{name} failed ({done.returncode}):\n" + "\n".join(tail))


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _join() -> None:
    """Register this session as a user, starting the cluster if none runs."""
    with _locked():
        users = _users()
        if not users and not _running():
            _OWNED.unlink(missing_ok=True)
            for name in ("install-deps.sh", "build.sh", "images.sh"):
                _script(name, _BUILD_SECONDS)
            _script("start.sh", _START_SECONDS)
            _OWNED.touch()
        _write_users([*users, os.getpid()])


def _leave() -> None:
    """Unregister; the last session out stops the cluster if these tests started it."""
    with _locked():
        users = [pid for pid in _users() if pid != os.getpid()]
        _write_users(users)
        if not users and _OWNED.exists():
            _OWNED.unlink()
            subprocess.run(["bash", str(_SCRIPTS / "stop.sh")], capture_output=True, check=False)


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[Path]:
    """The kubeconfig of the running test cluster; started and stopped as described above."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        _unavailable("the test cluster needs root on Linux (containerd, runc, mounts)")
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        _unavailable("the kubernetes client is not installed (pip install 'harmont[kubernetes]')")
    _join()
    try:
        yield KUBECONFIG
    finally:
        _leave()
