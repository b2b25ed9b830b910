"""
Laying a run's source archive over ``/workspace`` in a container, idempotently.

A container that starts from a snapshot already holds a workspace: the one extracted when
the snapshot's chain started, plus whatever its steps built. Extraction must give fresh
source without destroying build outputs, so every snapshot records the files its
extraction laid down in :data:`MANIFEST_PATH`, outside the workspace; the next extraction
over that state first deletes the recorded files the new archive no longer has (and the
directories that leaves empty), then unpacks the new archive over the rest. Files that
steps created are never in a manifest, so they survive.

Only a container started from a snapshot reads a manifest, so it is written just before
a container is committed (:func:`record_manifest`), not when the container starts: a
chain that no fork or cache snapshots pays one upload, the archive's. Both travel through
the engine's archive endpoint, so the image needs no ``tar``; only deleting stale files
runs a command, in the chain's shell session, and only when there are any. Names are
bytes end to end (``str`` carrying the file system's surrogate escapes), so a name that
is not UTF-8 is laid down and deleted like any other.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import tarfile
import threading
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont._errors import PluginRuntimeError
from harmont._executors._archive import read_archive
from harmont._executors._docker_engine import PLUGIN_NAME, engine_error
from harmont._executors._shell_session import quote

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterable

    from docker import APIClient

    from harmont._plugins._context import PluginContext

__all__ = [
    "MANIFEST_PATH",
    "WORKSPACE",
    "Workspace",
    "WorkspaceCache",
    "delete_script",
    "extract",
    "record_manifest",
    "stale_paths",
]

#: Where steps run and the source is extracted (the contract's ``workdir``).
WORKSPACE: Final = "/workspace"
#: The NUL-separated list of workspace-relative files the last extraction laid down.
MANIFEST_PATH: Final = "/.harmont/workspace-manifest"

#: Deletes each path after ``in``: directories only when empty, deepest paths come first.
_DELETE_SCRIPT: Final = (
    "cd {workspace} || exit 1; for p in {paths}; do "
    'if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p" 2>/dev/null; else rm -f -- "$p"; fi; '
    "done; exit 0"
)


@attrs.frozen(kw_only=True)
class Workspace:
    """One run's source archive, with the file list it lays down."""

    #: The gzip-compressed tar the orchestrator packed.
    archive: bytes
    #: Workspace-relative paths of the archive's non-directory members.
    files: frozenset[str]

    @classmethod
    def from_archive(cls, archive: bytes) -> Workspace:
        """Read the member list of *archive*; an empty archive is an empty workspace."""
        if not archive:
            return cls(archive=archive, files=frozenset())
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
                names = {_relative(m.name) for m in tar.getmembers() if not m.isdir()}
        except (tarfile.TarError, EOFError, gzip.BadGzipFile) as exc:
            raise PluginRuntimeError(
                f"docker: the workspace archive is not a gzip-compressed tar: {exc}",
                plugin=PLUGIN_NAME,
                code="docker_extract",
            ) from exc
        return cls(archive=archive, files=frozenset(names - {""}))

    def manifest_tar(self) -> bytes:
        """A tar holding :data:`MANIFEST_PATH` (relative to ``/``) listing :attr:`files`."""
        body = b"\0".join(sorted(os.fsencode(name) for name in self.files))
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(MANIFEST_PATH.lstrip("/"))
            info.size = len(body)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(body))
        return buffer.getvalue()


def _relative(name: str) -> str:
    return posixpath.normpath(name).lstrip("/").removeprefix("./") if name else ""


def _parents(path: str) -> Iterable[str]:
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


def stale_paths(previous: Iterable[str], current: frozenset[str]) -> list[str]:
    """
    What to delete before *current* is laid over a workspace last extracted as *previous*.

    Files of *previous* that *current* lacks, and their directories that no file of
    *current* needs, deepest first so a directory comes after its contents (it is then
    removed only if nothing else, such as a build output, is left in it).
    """
    gone = set(previous) - current
    kept_dirs = {parent for name in current for parent in _parents(name)}
    dirs = {parent for name in gone for parent in _parents(name)} - kept_dirs
    return sorted(gone | dirs, key=lambda p: (-p.count("/"), p))


@final
class WorkspaceCache:
    """
    The archives of the runs in flight, read through the host API once per run.

    Read lazily by the first step that needs one, and dropped when the run ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_run: dict[tuple[uuid.UUID, uuid.UUID], Workspace] = {}

    def get(self, context: PluginContext, run_id: uuid.UUID, archive_id: uuid.UUID) -> Workspace:
        """The workspace of *archive_id*, reading it through *context* the first time."""
        key = (run_id, archive_id)
        with self._lock:
            cached = self._by_run.get(key)
        if cached is not None:
            return cached
        workspace = Workspace.from_archive(read_archive(context, archive_id))
        with self._lock:
            return self._by_run.setdefault(key, workspace)

    def runs(self) -> set[uuid.UUID]:
        """The runs whose archives are held."""
        with self._lock:
            return {run_id for run_id, _ in self._by_run}

    def drop_run(self, run_id: uuid.UUID) -> None:
        """Forget every archive of *run_id*."""
        with self._lock:
            for key in [key for key in self._by_run if key[0] == run_id]:
                del self._by_run[key]


def _previous_files(api: APIClient, container: str) -> list[str]:
    from docker.errors import NotFound

    try:
        stream, _ = api.get_archive(container, MANIFEST_PATH)
    except NotFound:
        return []
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream)), mode="r") as tar:
        member = tar.extractfile(posixpath.basename(MANIFEST_PATH))
        body = member.read() if member is not None else b""
    return [os.fsdecode(name) for name in body.split(b"\0") if name]


def delete_script(paths: list[str]) -> str:
    """The command that deletes *paths* (workspace-relative, any bytes) from the workspace."""
    words = " ".join(quote(path).decode("utf-8", "surrogateescape") for path in paths)
    return _DELETE_SCRIPT.format(workspace=WORKSPACE, paths=words)


def extract(
    api: APIClient,
    container: str,
    workspace: Workspace,
    *,
    from_snapshot: bool,
    run: Callable[[str], int],
) -> None:
    """
    Lay *workspace* over ``/workspace`` in *container*, created and maybe still starting:
    the engine copies an archive into a container that does not run yet, so a chain root
    need not wait for its start (see :mod:`._docker_warm`).

    :param from_snapshot: the container's image is a harmont snapshot, which may hold a
        previous extraction to reconcile (by *run*: the container must have started); a
        plain image is extracted into directly.
    :param run: runs a command in the container's shell session (its status is ignored:
        a stale file that cannot be deleted is overwritten or left, as a step would).
    :raises PluginRuntimeError: with code ``docker_extract``.
    """
    from docker.errors import DockerException

    try:
        if from_snapshot:
            stale = stale_paths(_previous_files(api, container), workspace.files)
            if stale:
                run(delete_script(stale))
        if workspace.archive:
            api.put_archive(container, WORKSPACE, workspace.archive)
    except (DockerException, OSError) as exc:
        engine_error(exc, code="docker_extract", doing=f"extracting the workspace into {WORKSPACE}")


def record_manifest(api: APIClient, container: str, workspace: Workspace) -> None:
    """
    Write :data:`MANIFEST_PATH` into *container*, which *workspace* was extracted into,
    before it is committed: the snapshot's next extraction reconciles against it.

    Engine errors propagate (docker-py's), for the commit to report.
    """
    api.put_archive(container, "/", workspace.manifest_tar())
