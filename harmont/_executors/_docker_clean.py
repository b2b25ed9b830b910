"""
``hm cache clean`` for the docker runner: remove what harmont left in the engine.

Everything is found by the :data:`~._docker_engine.LABEL_MANAGED` label: cache images
(kept across runs on purpose), ephemeral images and chain containers (both normally
removed when their run ends, so any still present were left by a run that crashed or was
killed). A container of a run still in flight is indistinguishable from a leftover, so
cleaning while `hm run` is running fails that run. The local runner's half of the command
is :func:`~._cache_clean.clean_snapshot_store`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from harmont._executors._cache_clean import CleanReport, Removal
from harmont._executors._docker_engine import LABEL_KIND, LABEL_MANAGED, connect, engine_error

if TYPE_CHECKING:
    from docker import APIClient

__all__ = ["clean"]


def _found(api: APIClient) -> list[tuple[Removal, str]]:
    """(removal, engine reference) for each harmont object, containers before images."""
    found: list[tuple[Removal, str]] = []
    label = {"label": f"{LABEL_MANAGED}=1"}
    for container in api.containers(all=True, filters=label):
        name = container["Names"][0].lstrip("/") if container["Names"] else container["Id"]
        kind = container["Labels"].get(LABEL_KIND, "")
        found.append((Removal(what="container", name=name, kind=kind), container["Id"]))
    for image in api.images(filters=label):
        kind = (image.get("Labels") or {}).get(LABEL_KIND, "")
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        for ref in tags or [image["Id"]]:
            found.append((Removal(what="image", name=ref, kind=kind), ref))
    return found


def clean(*, dry_run: bool = False, api: APIClient | None = None) -> CleanReport:
    """
    Remove every container and image harmont created in the engine.

    :param dry_run: list them without removing anything.
    :param api: the engine client (default: :func:`~._docker_engine.connect`).
    :raises EngineUnavailable: the engine cannot be reached.
    """
    from docker.errors import DockerException

    client = connect() if api is None else api
    try:
        found = _found(client)
    except (DockerException, OSError) as exc:
        engine_error(exc, code="docker_clean", doing="listing harmont's containers and images")
    if dry_run:
        return CleanReport(dry_run=True, removals=tuple(removal for removal, _ in found))
    done: list[Removal] = []
    for removal, ref in found:
        error = None
        try:
            if removal.what == "container":
                client.remove_container(ref, force=True, v=True)
            else:
                client.remove_image(ref)
        except DockerException as exc:
            error = str(getattr(exc, "explanation", None) or exc)
        done.append(attrs.evolve(removal, error=error))
    return CleanReport(dry_run=False, removals=tuple(done))
