"""
``hm cache clean`` for the kubernetes runner: its snapshot tars, and pods of killed runs.

- The snapshot store (:func:`~.kubernetes.snapshot_store`): every ``<version>.tar`` with
  its ``.image`` and ``.files``, and the ``.<version>.tar.*`` a run was writing when it died.
- The cluster: every pod and secret labelled by harmont in the namespace of the context
  in effect (a run that was killed never reached its ``build_end``). Only when the client
  is installed and a kubeconfig exists: someone who never uses the runner has nothing
  there, and is told nothing. A cluster that does not answer is reported as skipped.

Like the other stores, objects of a run in flight look like leftovers: cleaning while
`hm run` is running can fail that run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import time
from pathlib import Path
from typing import Final

from harmont._errors import EngineUnavailable, PluginRuntimeError
from harmont._executors._cache_clean import CleanReport, Removal

__all__ = ["clean"]

#: What lies beside a snapshot's tar: its image, and the source files laid in it.
_COMPANIONS: Final = (".image", ".files")
#: How long deleting the cluster's leftovers may take.
_DELETE_SECONDS: Final = 30.0


def _kubeconfig_exists() -> bool:
    paths = os.environ.get("KUBECONFIG")
    candidates = paths.split(os.pathsep) if paths else [str(Path.home() / ".kube" / "config")]
    return any(Path(p).is_file() for p in candidates if p)


def _clean_store(*, dry_run: bool) -> list[Removal]:
    from harmont._executors.kubernetes import snapshot_store

    root = snapshot_store()
    if not root.is_dir():
        return []
    removals = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in _COMPANIONS and path.with_suffix(".tar").exists():
            continue  # removed with its tar
        kind = "unfinished" if path.name.startswith(".") else "cache"
        error = None
        if not dry_run:
            try:
                path.unlink()
                if path.suffix == ".tar":
                    for suffix in _COMPANIONS:
                        path.with_suffix(suffix).unlink(missing_ok=True)
            except OSError as exc:
                error = exc.strerror or str(exc)
        removals.append(Removal(what="snapshot", name=str(path), kind=kind, error=error))
    if not dry_run:
        for directory in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                directory.rmdir()
    return removals


def _clean_cluster(*, dry_run: bool) -> CleanReport:
    from harmont._executors._kube_api import CONTEXT_VARIABLE, load_client
    from harmont._executors._kube_pods import delete_run, list_run

    try:
        api, namespace = load_client(os.environ.get(CONTEXT_VARIABLE) or None)
        if dry_run:
            found = list_run(api, namespace, None)
        else:
            found = delete_run(api, namespace, None, deadline=time.monotonic() + _DELETE_SECONDS)
    except (EngineUnavailable, PluginRuntimeError) as exc:
        return CleanReport(
            dry_run=dry_run, removals=(), skipped=(f"Kubernetes pods not cleaned: {exc.message}",)
        )
    except Exception as exc:  # the client's: the apiserver is unreachable or refused
        why = " ".join(str(exc).split())[:200]
        return CleanReport(
            dry_run=dry_run, removals=(), skipped=(f"Kubernetes pods not cleaned: {why}",)
        )
    removals = tuple(Removal(what=what, name=name, kind="chain") for what, name in found)
    return CleanReport(dry_run=dry_run, removals=removals)


def clean(*, dry_run: bool = False) -> CleanReport:
    """The kubernetes runner's snapshot store, then its leftovers in the cluster."""
    store = _clean_store(dry_run=dry_run)
    if importlib.util.find_spec("kubernetes") is None or not _kubeconfig_exists():
        return CleanReport(dry_run=dry_run, removals=tuple(store))
    cluster = _clean_cluster(dry_run=dry_run)
    return CleanReport(
        dry_run=dry_run, removals=tuple(store) + cluster.removals, skipped=cluster.skipped
    )
