"""
The images a build's chains start from, made present in the local image store.

Before the build starts, the docker runner looks up each distinct image its chain roots
name and pulls, as the build's :class:`~harmont.PullPolicy` says and as ``docker run
--pull`` would, those it must: up to :data:`PULLS_AT_ONCE` at a time, each once however
many chains start from it. Credentials are the user's Docker ones, which docker-py reads
from ``~/.docker/config.json`` (or ``$DOCKER_CONFIG``) and its credential helpers.

The engine reports a pull as a stream of JSON messages, one per layer event
(``Downloading`` with byte counts, ``Pull complete``, ``Already exists``...), which
:class:`_Layers` folds into :class:`~harmont.PullProgress` reports for the renderer.

A failed pull is one error naming the image and the step that starts from it, with the
engine's own reason, classed by what the user can do about it: a registry that cannot be
reached is :class:`~harmont.EngineUnavailable` (exit 4); no such image or tag, or access
refused, is :class:`~harmont.ImageUnavailable` (exit 2, a ``docker login`` hint).

Pulled images are the user's, like those ``docker pull`` fetches: they carry no harmont
label, so neither the end of a run nor ``hm cache clean`` ever removes them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._errors import EngineUnavailable, HarmontError, ImageUnavailable, PluginRuntimeError
from harmont._executors._docker_engine import (
    CHECK_TIMEOUT_SECONDS,
    PLUGIN_NAME,
    engine_error,
    inspect_image,
    no_answer,
)
from harmont._orchestrator._preflight import PullPolicy, PullProgress

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from docker import APIClient

__all__ = ["PULLS_AT_ONCE", "ensure_images"]

#: Pulls at once: enough to overlap one registry's latency with another's downloads,
#: few enough not to split a slow link many ways (the engine itself downloads three
#: layers of each pull at once).
PULLS_AT_ONCE: Final = 3

#: Words of an engine error saying the registry refused the request, or has no such
#: image: the image reference or the credentials are the user's to fix.
_REFUSED: Final = (
    "denied",
    "unauthorized",
    "authentication required",
    "no basic auth credentials",
    "forbidden",
    "not found",
    "manifest unknown",
    "name unknown",
    "does not exist",
    "invalid reference format",
)
#: Words of an engine error saying the registry could not be reached or stopped answering.
_UNREACHABLE: Final = (
    "dial tcp",
    "no such host",
    "connection refused",
    "connection reset",
    "network is unreachable",
    "i/o timeout",
    "timeout",
    "tls handshake",
    "server misbehaving",
    "unexpected eof",
    "http response to https client",
)


def ensure_images(
    api: APIClient,
    roots: Mapping[str, str],
    *,
    pull: PullPolicy,
    on_pull: Callable[[PullProgress], None],
) -> None:
    """
    Make every image of *roots* (step key -> image) present, pulling as *pull* says.

    :param api: a client whose requests time out (:data:`CHECK_TIMEOUT_SECONDS`); pulls
        themselves are not bounded, a large image takes as long as it takes.
    :param on_pull: gets each pull's progress, from the pulling threads.
    :raises EngineUnavailable: the engine or an image's registry cannot be reached.
    :raises ImageUnavailable: an image is not stored under ``never``, or its registry has
        no such image or refused access.
    :raises PluginRuntimeError: the engine failed a lookup or a pull otherwise.
    """
    first_step: dict[str, str] = {}
    for key, image in roots.items():
        first_step.setdefault(image, key)
    if pull == PullPolicy.ALWAYS:
        wanted = list(first_step)
    else:
        wanted = [image for image in first_step if not _stored(api, image)]
    if not wanted:
        return
    if pull == PullPolicy.NEVER:
        image = wanted[0]
        raise ImageUnavailable(
            f"step '{first_step[image]}': image '{image}' is not in the local Docker image "
            "store, and the pull policy is 'never'",
            image=image,
            hint=f"pull it (`docker pull {image}`), or run with `--pull missing`",
        )
    _Pulls(api, on_pull, first_step).run(wanted)


def _stored(api: APIClient, image: str) -> bool:
    import requests
    from docker.errors import DockerException, NotFound

    doing = f"looking up image '{image}'"
    try:
        inspect_image(api, image)
    except NotFound:
        return False
    except requests.Timeout as exc:
        raise no_answer(CHECK_TIMEOUT_SECONDS, doing) from exc
    except (DockerException, OSError) as exc:
        engine_error(exc, code="docker_image_exists", doing=doing)
    return True


class _Pulls:
    """
    Images pulled on up to :data:`PULLS_AT_ONCE` daemon threads; the first failure wins.

    Daemon threads, because the pre-flight that waits here is abandoned on Ctrl-C and the
    process must be able to exit at once, in the middle of a download. Once a pull fails
    the others stop at their next message, and the failure is raised without waiting for
    them: one of them may be stuck on a registry that never answers.
    """

    def __init__(
        self,
        api: APIClient,
        on_pull: Callable[[PullProgress], None],
        first_step: Mapping[str, str],
    ) -> None:
        self._api = api
        self._on_pull = on_pull
        self._first_step = first_step
        self._changed = threading.Condition()
        self._queue: list[str] = []
        self._running = 0
        self._failure: BaseException | None = None

    def run(self, images: Iterable[str]) -> None:
        """Pull *images*; return once all are stored, or raise the first failure."""
        self._queue = list(images)
        self._queue.reverse()  # popped from the end: pulls start in plan order
        workers = min(PULLS_AT_ONCE, len(self._queue))
        self._running = workers
        for index in range(workers):
            threading.Thread(target=self._work, name=f"hm-pull-{index}", daemon=True).start()
        with self._changed:
            self._changed.wait_for(lambda: self._failure is not None or not self._running)
            if self._failure is not None:
                raise self._failure

    def _work(self) -> None:
        try:
            while (image := self._next()) is not None:
                self._pull(image)
        except BaseException as exc:  # handed to the waiting thread, raised there
            with self._changed:
                if self._failure is None:
                    self._failure = exc
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def _next(self) -> str | None:
        with self._changed:
            if self._failure is not None or not self._queue:
                return None
            return self._queue.pop()

    def _stopped(self) -> bool:
        with self._changed:
            return self._failure is not None

    def _pull(self, image: str) -> None:
        import requests
        from docker.errors import APIError, DockerException

        layers = _Layers(image)
        self._on_pull(layers.progress())
        try:
            for message in self._api.pull(image, stream=True, decode=True):
                if self._stopped():
                    return  # another pull failed: its error is the build's
                if "error" in message:
                    raise self._failed(image, _stream_error(message))
                if layers.apply(message):
                    self._on_pull(layers.progress())
        except APIError as exc:
            raise self._failed(image, exc.explanation or str(exc), status=exc.status_code) from exc
        except (DockerException, OSError, requests.RequestException) as exc:
            engine_error(exc, code="docker_pull", doing=f"pulling image '{image}'")
        self._on_pull(layers.progress(finished=True))

    def _failed(self, image: str, reason: str, *, status: int | None = None) -> HarmontError:
        """The error of a pull of *image* that the engine failed with *reason*."""
        registry = _registry(image)
        what = f"step '{self._first_step[image]}': cannot pull image '{image}'"
        lowered = reason.lower()
        if any(word in lowered for word in _REFUSED) or (status is not None and status < 500):
            return ImageUnavailable(
                f"{what} from {registry}: {reason}",
                image=image,
                hint=(
                    f"check the image's name and tag; if {registry} needs credentials, "
                    f"`docker login {registry}` (harmont pulls with Docker's credentials)"
                ),
            )
        if any(word in lowered for word in _UNREACHABLE):
            return EngineUnavailable(
                f"{what}: registry {registry} cannot be reached: {reason}",
                hint=(
                    f"check the connection to {registry}; `--pull never` runs images already "
                    "stored, and `--runner local` needs no image"
                ),
            )
        return PluginRuntimeError(f"{what}: {reason}", plugin=PLUGIN_NAME, code="docker_pull")


def _stream_error(message: Mapping[str, Any]) -> str:
    detail = message.get("errorDetail")
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail["message"])
    return str(message["error"])


def _registry(image: str) -> str:
    """The registry *image* is pulled from, as ``docker login`` names it."""
    from docker.auth import resolve_repository_name
    from docker.errors import InvalidRepository
    from docker.utils import parse_repository_tag

    repository, _ = parse_repository_tag(image)
    try:
        registry, _ = resolve_repository_name(repository)
    except InvalidRepository:
        return "its registry"
    return str(registry)


@attrs.define
class _Layer:
    downloaded: int = 0
    size: int = 0
    stored: bool = False


class _Layers:
    """The layers of one image's pull, as the engine's messages describe them."""

    def __init__(self, image: str) -> None:
        self.image = image
        self._layers: dict[str, _Layer] = {}
        self._updated = False

    def apply(self, message: Mapping[str, Any]) -> bool:
        """Fold one engine message in; return whether the progress changed."""
        status = str(message.get("status") or "")
        layer_id = message.get("id")
        if status.startswith("Status: Downloaded newer image"):
            self._updated = True
            return False
        if not layer_id or status.startswith("Pulling from"):
            return False  # the digest, or the line that names the tag being pulled
        layer = self._layers.setdefault(str(layer_id), _Layer())
        detail = message.get("progressDetail") or {}
        if status == "Downloading":
            layer.downloaded = int(detail.get("current") or 0)
            layer.size = int(detail.get("total") or layer.size)
        elif status in {"Verifying Checksum", "Download complete"}:
            layer.downloaded = max(layer.downloaded, layer.size)
        elif status in {"Pull complete", "Already exists"}:
            layer.downloaded = max(layer.downloaded, layer.size)
            layer.stored = True
        return True

    def progress(self, *, finished: bool = False) -> PullProgress:
        """Where the pull stands."""
        layers = self._layers.values()
        return PullProgress(
            image=self.image,
            layers=len(self._layers),
            layers_done=sum(layer.stored for layer in layers),
            downloaded=sum(layer.downloaded for layer in layers),
            size=sum(layer.size for layer in layers),
            finished=finished,
            updated=finished and self._updated,
        )
