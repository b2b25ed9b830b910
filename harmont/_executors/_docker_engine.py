"""
The seam between harmont and docker-py: connecting, labelling, translating errors.

Everything harmont creates in the engine carries :data:`LABEL_MANAGED`, a kind and the run
that created it, so that cleanup (at build end, at process exit, and ``hm cache clean``)
finds its objects by label instead of trusting in-memory bookkeeping alone.

docker-py is imported inside the functions that need it: ``hm --help`` must not pay for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, NoReturn, Protocol

from harmont._errors import EngineUnavailable, PluginRuntimeError

if TYPE_CHECKING:
    import uuid

    from docker import APIClient

__all__ = [
    "BUILD_TIMEOUT_SECONDS",
    "CHECK_TIMEOUT_SECONDS",
    "KIND_CACHE",
    "KIND_CHAIN",
    "KIND_EPHEMERAL",
    "LABEL_KIND",
    "LABEL_MANAGED",
    "LABEL_RUN",
    "PLUGIN_NAME",
    "Connect",
    "connect",
    "engine_error",
    "inspect_image",
    "labels",
    "missing_image",
    "no_answer",
]

#: The plugin's name in manifests and error messages.
PLUGIN_NAME: Final = "docker"

#: Present (value ``1``) on every container and image harmont creates.
LABEL_MANAGED: Final = "dev.harmont.managed"
#: What the object is: :data:`KIND_CHAIN`, :data:`KIND_CACHE` or :data:`KIND_EPHEMERAL`.
LABEL_KIND: Final = "dev.harmont.kind"
#: The ``run_id`` of the ``hm run`` that created the object.
LABEL_RUN: Final = "dev.harmont.run"

#: A chain's live container; it never outlives its run.
KIND_CHAIN: Final = "chain"
#: A step-cache image: kept across runs until ``hm cache clean``.
KIND_CACHE: Final = "cache"
#: A fork parent's snapshot: removed when its run ends.
KIND_EPHEMERAL: Final = "ephemeral"

#: How long each request of the pre-flight check waits for the engine: a socket that
#: accepts and never answers must not hold `hm run` for docker-py's minute.
CHECK_TIMEOUT_SECONDS: Final = 5
#: docker-py's own default, for the requests of a build (commits of big containers).
BUILD_TIMEOUT_SECONDS: Final = 60

_HINT_START: Final = (
    "start Docker (`sudo systemctl start docker`, or Docker Desktop), "
    "or run the steps on this machine with `--runner local`"
)


def labels(kind: str, run_id: uuid.UUID) -> dict[str, str]:
    """The labels of an object of *kind* created by run *run_id*."""
    return {LABEL_MANAGED: "1", LABEL_KIND: kind, LABEL_RUN: str(run_id)}


def _where() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


class Connect(Protocol):
    """What makes an engine client: :func:`connect`, or an embedder's own."""

    def __call__(self, *, timeout: int = ...) -> APIClient:
        """A client whose requests wait at most *timeout* seconds for an answer."""


def connect(*, timeout: int = BUILD_TIMEOUT_SECONDS) -> APIClient:
    """
    A client of the engine that ``DOCKER_HOST`` (or the default socket) names.

    Asking for the server's API version doubles as the reachability check.

    :param timeout: how long each request waits for an answer, this first one included.
    :raises EngineUnavailable: the engine does not answer.
    """
    import socket  # here, as docker-py: a local build never connects to the engine

    import requests
    from docker import APIClient
    from docker.errors import DockerException
    from docker.utils import kwargs_from_env

    where = _where()
    if where.startswith("unix://"):
        # docker-py leaks the socket of a refused unix connection; try it ourselves first.
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(where.removeprefix("unix://"))
        except OSError as exc:
            raise EngineUnavailable(
                f"cannot reach the Docker engine at {where}: {exc.strerror or exc}",
                hint=_HINT_START,
            ) from exc
    try:
        return APIClient(version="auto", timeout=timeout, **kwargs_from_env())
    except DockerException as exc:
        if isinstance(exc.__cause__, requests.Timeout):
            raise no_answer(timeout, "asking for its API version") from exc
        raise EngineUnavailable(
            f"cannot reach the Docker engine at {where}: {exc}", hint=_HINT_START
        ) from exc


def no_answer(seconds: int, doing: str) -> EngineUnavailable:
    """The error of an engine that accepted a request and did not answer it in time."""
    return EngineUnavailable(
        f"the Docker engine at {_where()} did not answer within {seconds}s while {doing}",
        hint=_HINT_START,
    )


def inspect_image(api: APIClient, ref: str) -> dict[str, Any]:
    """The engine's description of image *ref*; raises docker-py's ``NotFound`` if absent."""
    # types-docker leaves inspect_image unannotated.
    result: dict[str, Any] = api.inspect_image(ref)  # type: ignore[no-untyped-call]
    return result


def engine_error(exc: Exception, *, code: str, doing: str) -> NoReturn:
    """
    Re-raise a docker-py or transport error met while *doing* something.

    A lost connection becomes :class:`EngineUnavailable` (exit 4); anything the engine
    answered becomes a :class:`PluginRuntimeError` with the stable *code*.
    """
    import requests

    if isinstance(exc, requests.ConnectionError):
        raise EngineUnavailable(
            f"lost the Docker engine at {_where()} while {doing}: {exc}", hint=_HINT_START
        ) from exc
    explanation = getattr(exc, "explanation", None) or str(exc)
    raise PluginRuntimeError(
        f"docker: {doing} failed: {explanation}", plugin=PLUGIN_NAME, code=code
    ) from exc


def missing_image(step_key: str, image: str) -> PluginRuntimeError:
    """The one error for a step whose image is not in the local image store."""
    return PluginRuntimeError(
        f"step '{step_key}': image '{image}' is not in the local Docker image store",
        plugin=PLUGIN_NAME,
        code="docker_image_missing",
        hint=(
            f"pull it: `docker pull {image}`; without a registry, tag an image you have "
            f"(`docker tag <image> {image}`), build it (`docker build -t {image} .`) or "
            f"import a root filesystem (`docker import rootfs.tar {image}`)"
        ),
    )
