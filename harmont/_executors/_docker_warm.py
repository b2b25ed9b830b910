"""
Chain roots' containers, started while the rest of the run is set up.

The pre-flight check knows each chain root's image, and has just made sure it is stored,
well before the root step runs: the source is packed and the scheduler set up meanwhile.
Creating and starting a container is the engine's longest task of a short chain (hundreds
of ms), so the check begins it at once, on threads of its own (:meth:`WarmStarts.begin`),
and the root step takes the container (:meth:`WarmStarts.take`) as soon as it is created:
the step lays the source over it while the engine still starts it (the engine does one
after the other) instead of after.

The run's id is not known during the check, so such a container carries a token of this
process in the run label's place. The run whose step takes a container removes it as it
removes its own (the executor counts it among the run's by id); one nobody takes (its
root step was a cache hit, the build never started) is handed back for removal by
:meth:`WarmStarts.discard` at the end of any run and at exit, and a forced exit finds them
all by the token's label (:meth:`WarmStarts.forced`).
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from harmont._executors._docker_engine import KIND_CHAIN, LABEL_RUN, inspect_image, labels
from harmont._executors._docker_workspace import WORKSPACE
from harmont._orchestrator._cache import sanitise

if TYPE_CHECKING:
    from collections.abc import Mapping

    from docker import APIClient

__all__ = [
    "KEEPER",
    "WarmContainer",
    "WarmStarts",
    "container_name",
    "create_chain_container",
]

#: PID 1 of a chain's container, there to keep it running between execs. Being PID 1 it
#: adopts what a step leaves behind, and a shell in ``wait`` reaps any child, so killed
#: leftovers do not stay zombies. The engine's ``init`` (tini) would reap too, but it makes
#: the keeper an ordinary process that a step's final ``kill -1`` (see ._shell_session)
#: would kill, stopping the container. The trap: PID 1 ignores an untrapped SIGTERM.
KEEPER: Final = (
    "sh",
    "-c",
    'trap "exit 0" TERM; while :; do sleep infinity & wait; done',
)
#: Container names stay readable; the run (or batch) prefix keeps them unique.
_NAME_LIMIT: Final = 100
#: How long ending waits for the creations in flight to land, so that none is left.
_SETTLE_SECONDS: Final = 30.0
#: Roots begun per check: the first ones of the plan, which the scheduler starts first; the
#: others start when their step runs, as they would without this.
_WARM_LIMIT: Final = 8
#: Containers created and started at once, within docker-py's pool of ten connections.
_AT_ONCE: Final = 4


def container_name(owner: uuid.UUID, step_key: str) -> str:
    """The name of the chain container of *step_key* made for *owner* (a run or a batch)."""
    return f"harmont-{owner.hex[:8]}-{sanitise(step_key)}"[:_NAME_LIMIT]


def create_chain_container(
    api: APIClient, image: str, *, name: str, owner: uuid.UUID
) -> dict[str, Any]:
    """Create (not start) a chain's container of *image*: the keeper, in the workspace."""
    created: dict[str, Any] = api.create_container(
        image,
        entrypoint=[KEEPER[0]],
        command=list(KEEPER[1:]),
        working_dir=WORKSPACE,
        labels=labels(KIND_CHAIN, owner),
        name=name,
    )
    return created


@final
class WarmContainer:
    """One root's container as a batch makes it: created, then started."""

    def __init__(self, key: str, image: str, batch: uuid.UUID) -> None:
        self.image = image
        self.name = container_name(batch, key)
        #: Set once the container exists (then :attr:`id` is set) or its creation failed.
        self.created = threading.Event()
        #: Set once the container runs or its start failed.
        self.settled = threading.Event()
        self.id: str | None = None
        self.running = False
        #: The image's own entrypoint and command, which snapshots restore.
        self.config: dict[str, Any] = {}

    def wait_started(self) -> bool:
        """Whether the container runs, waiting for its start to end."""
        self.settled.wait()
        return self.running


@attrs.define
class _Batch:
    """The roots of one pre-flight check, in plan order, and the threads making them."""

    waiting: dict[tuple[str, str], WarmContainer]
    threads: list[threading.Thread] = attrs.Factory(list)


@final
class WarmStarts:
    """
    The containers the pre-flight checks began for chain roots, until taken or discarded.

    Every container carries, in place of a run's id, the label of this object's own token,
    the same for all its batches: a forced exit finds them all with one listing. Thread-safe:
    steps take containers from their own threads.

    Removing is the executor's: it removes the ids this object hands back with the run's.
    """

    def __init__(self) -> None:
        self._token = uuid.uuid4()
        self._lock = threading.Lock()
        self._batches: list[_Batch] = []
        self._begun = False
        self._closed = False

    def begin(self, api: APIClient, roots: Mapping[str, str]) -> None:
        """Begin creating and starting a container for each of the first roots (key -> image)."""
        batch_id = uuid.uuid4()
        first = list(roots.items())[:_WARM_LIMIT]
        batch = _Batch({(key, image): WarmContainer(key, image, batch_id) for key, image in first})
        queue = list(batch.waiting.values())
        with self._lock:
            if self._closed or not queue:
                return
            self._batches.append(batch)
            self._begun = True
            for _ in range(min(len(queue), _AT_ONCE)):
                thread = threading.Thread(
                    target=self._make, args=(api, queue), name="hm-docker-warm", daemon=True
                )
                batch.threads.append(thread)
                thread.start()

    def _make(self, api: APIClient, queue: list[WarmContainer]) -> None:
        """Create, then start, the next containers of *queue* until it is empty."""
        while True:
            with self._lock:
                if not queue:
                    return
                warm = queue.pop(0)
            self._make_one(api, warm)

    def _make_one(self, api: APIClient, warm: WarmContainer) -> None:
        """A failure leaves *warm* unmade, for the step's own start to meet and report."""
        from docker.errors import DockerException

        try:
            try:
                warm.config = inspect_image(api, warm.image)["Config"] or {}
                created = create_chain_container(api, warm.image, name=warm.name, owner=self._token)
                warm.id = created["Id"]
            finally:
                warm.created.set()
            api.start(warm.id)
            warm.running = True
        except (DockerException, OSError):
            pass
        finally:
            warm.settled.set()

    def take(self, key: str, image: str) -> WarmContainer | None:
        """
        The container begun for root *key* of *image*, once created (maybe still starting);
        None if there is none, or its creation failed. Nobody else can take it after.
        """
        with self._lock:
            warm = None
            for batch in self._batches:
                warm = batch.waiting.pop((key, image), None)
                if warm is not None:
                    break
            self._batches = [batch for batch in self._batches if batch.waiting]
        if warm is None:
            return None
        warm.created.wait()
        return warm if warm.id is not None else None

    def discard(self, *, close: bool = False) -> list[str]:
        """
        Forget every container not taken, once its creation has landed: the ids to remove.

        :param close: begin no batch from now on (the process is exiting).
        """
        with self._lock:
            self._closed = self._closed or close
            batches, self._batches = self._batches, []
        for batch in batches:
            for thread in batch.threads:
                thread.join(_SETTLE_SECONDS)
        return [warm.id for b in batches for warm in b.waiting.values() if warm.id is not None]

    def forced(self, api: APIClient) -> list[str]:
        """
        The forced exit: every container begun, taken or not, found by label without waiting
        for the creations in flight (those that land later are `hm cache clean`'s); the ids.
        """
        with self._lock:
            self._closed = True
            self._batches = []
            begun = self._begun
        if not begun:
            return []
        found = api.containers(all=True, filters={"label": f"{LABEL_RUN}={self._token}"})
        return [container["Id"] for container in found]
