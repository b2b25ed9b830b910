"""
``hm cache clean``: remove what the first-party runners keep between runs.

Three stores, cleaned in one call:

- the Docker engine: every container and image labelled by harmont
  (:mod:`~._docker_clean`). An engine that cannot be reached is not an error here, since
  someone who only uses ``--runner local`` has none: the store is reported as skipped.
- the kubernetes runner's snapshot tars, and its pods of killed runs (:mod:`~._kube_clean`).
- the local runner's snapshot store (:func:`~.local.snapshot_store`), laid out as
  ``<store>/<repository>/<name>/<version>``: each version directory is one snapshot, and a
  ``.<version>.<id>`` beside it is one a run was storing when it died.

Like the engine's containers, a snapshot being stored by a run in flight looks like a
leftover: cleaning while `hm run` is running can fail that run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from harmont._errors import EngineUnavailable
from harmont._orchestrator._safe_remove import directories_at, remove_below

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CleanReport",
    "Removal",
    "clean_caches",
    "clean_snapshot_store",
]

#: ``Removal.kind`` of a local snapshot a run finished storing.
_KIND_CACHE = "cache"
#: ``Removal.kind`` of a local snapshot a run was storing when it died.
_KIND_UNFINISHED = "unfinished"


@attrs.frozen(kw_only=True)
class Removal:
    """One object a runner stored, and what became of it."""

    #: ``container``, ``image``, ``snapshot``, or a Kubernetes ``pod`` or ``secret``.
    what: str
    #: The container name, the image tag (its id when it has no tag), the snapshot's path.
    name: str
    #: ``chain``, ``cache`` or ``ephemeral`` in the engine; ``cache`` or ``unfinished``
    #: for a local snapshot.
    kind: str
    #: Why it could not be removed (in use by a container harmont does not own...).
    error: str | None = None


@attrs.frozen(kw_only=True)
class CleanReport:
    """What a clean removed, or would remove under ``dry_run``."""

    dry_run: bool
    removals: tuple[Removal, ...]
    #: One line for each store that could not be looked at, saying why.
    skipped: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[Removal, ...]:
        """The objects that could not be removed."""
        return tuple(r for r in self.removals if r.error is not None)


def _snapshots(store: Path) -> list[Path]:
    """
    The ``<repository>/<name>/<version>`` directories under *store*, sorted; a symlink
    at any level is neither listed nor followed (:mod:`harmont._orchestrator._safe_remove`).
    """
    if not store.is_dir():
        return []
    return [store.joinpath(*names) for names in directories_at(store, 3)]


def _not_cleaned(store: str, why: str, *, dry_run: bool) -> CleanReport:
    """The report of a *store* left alone, saying *why* in its one ``skipped`` line."""
    return CleanReport(dry_run=dry_run, removals=(), skipped=(f"{store} not cleaned: {why}",))


def _cannot_list(exc: OSError, path: Path) -> str:
    """Why listing *path* failed, naming the entry the error names when it names one."""
    return f"cannot list {exc.filename or path}: {exc.strerror or exc}"


def _remove(snapshot: Path, store: Path) -> str | None:
    """Delete *snapshot*, then its parents left empty; why it failed, or None."""
    try:
        remove_below(store, snapshot.relative_to(store).parts, prune=2)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def clean_snapshot_store(*, dry_run: bool = False, store: Path | None = None) -> CleanReport:
    """
    Remove every snapshot of the local runner's store, finished or not.

    :param dry_run: list them without removing anything.
    :param store: the store (default: :func:`~.local.snapshot_store`).
    :returns: one removal per snapshot; a store that cannot be listed is in ``skipped``.
    """
    from harmont._executors.local import snapshot_store

    root = snapshot_store() if store is None else store
    if root.is_symlink():
        # Whatever the link points to was never harmont's to empty.
        why = f"{root} is a symbolic link (to {root.readlink()}); remove the link"
        return _not_cleaned("local snapshots", why, dry_run=dry_run)
    try:
        snapshots = _snapshots(root)
    except OSError as exc:
        return _not_cleaned("local snapshots", _cannot_list(exc, root), dry_run=dry_run)
    removals = []
    for snapshot in snapshots:
        kind = _KIND_UNFINISHED if snapshot.name.startswith(".") else _KIND_CACHE
        error = None if dry_run else _remove(snapshot, root)
        removals.append(Removal(what="snapshot", name=str(snapshot), kind=kind, error=error))
    return CleanReport(dry_run=dry_run, removals=tuple(removals))


def clean_caches(*, dry_run: bool = False) -> CleanReport:
    """
    Clean the Docker engine, the local snapshot store, then the kubernetes runner's.

    :param dry_run: list what would be removed without removing anything.
    :returns: both stores' removals; an engine that cannot be reached is in ``skipped``.
    """
    from harmont._executors._docker_clean import clean

    try:
        engine = clean(dry_run=dry_run)
    except EngineUnavailable as exc:
        engine = CleanReport(
            dry_run=dry_run,
            removals=(),
            skipped=(f"Docker images and containers not cleaned: {exc.message}",),
        )
    from harmont._executors._kube_clean import clean as clean_kubernetes

    local = clean_snapshot_store(dry_run=dry_run)
    kubernetes = clean_kubernetes(dry_run=dry_run)
    return CleanReport(
        dry_run=dry_run,
        removals=engine.removals + local.removals + kubernetes.removals,
        skipped=engine.skipped + local.skipped + kubernetes.skipped,
    )
