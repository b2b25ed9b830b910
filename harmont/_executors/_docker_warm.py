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
removes its own (the executor counts it among the run's by id). The first run to take from
a batch owns it, and no other run takes from it after: when that run ends, the batch's
containers nobody took (their roots were cache hits) are handed back for removal
(:meth:`WarmStarts.end_run`); a concurrent run's batch is never touched. Whatever is left
of a batch :data:`TAKE_WITHIN_SECONDS` after its check is removed on its own (say the build
never started: another runner's check failed, the user pressed Ctrl-C, the embedding
program gave up), so a long-lived program leaks none; a root step that comes later starts
its own container, as without this. At exit every batch left goes (:meth:`WarmStarts.close`), and
a forced exit finds them all by the token's label (:meth:`WarmStarts.forced`).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from harmont._executors._docker_engine import KIND_CHAIN, LABEL_RUN, inspect_image, labels
from harmont._executors._docker_workspace import WORKSPACE
from harmont._orchestrator._cache import sanitise

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from docker import APIClient

    #: Force-removes containers by id, suppressing the engine's errors.
    Remove = Callable[[APIClient, Sequence[str]], None]

__all__ = [
    "KEEPER",
    "TAKE_WITHIN_SECONDS",
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
#: How long after its check a batch nobody has taken from is removed on its own: far longer
#: than packing the source and setting the scheduler up, far shorter than a process that
#: embeds runs lives. Not Final: tests shorten it.
TAKE_WITHIN_SECONDS = 45.0
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


@attrs.define(eq=False)
class _Batch:
    """The roots of one pre-flight check, in plan order, and the threads making them."""

    waiting: dict[tuple[str, str], WarmContainer]
    threads: list[threading.Thread] = attrs.Factory(list)
    #: The run that took from it first, the only one that may take from it after.
    owner: uuid.UUID | None = None
    #: Removes it :data:`TAKE_WITHIN_SECONDS` after its check, unless it is gone by then.
    expiry: threading.Timer | None = None


@final
class WarmStarts:
    """
    The containers the pre-flight checks began for chain roots, until taken or discarded.

    Every container carries, in place of a run's id, the label of this object's own token,
    the same for all its batches: a forced exit finds them all with one listing. Thread-safe:
    steps take containers from their own threads.

    A batch's containers nobody took go when the run that took from it ends, or
    :data:`TAKE_WITHIN_SECONDS` after its check, whichever comes first.

    :param remove: force-removes containers by id: the executor's own removal, which
        removes the ids the other methods hand back with the run's.
    """

    def __init__(self, remove: Remove) -> None:
        self._remove = remove
        self._token = uuid.uuid4()
        self._lock = threading.Lock()
        self._batches: list[_Batch] = []
        #: Runs that have taken from a batch: they take from no other batch, so a concurrent
        #: run's check keeps what it began.
        self._takers: set[uuid.UUID] = set()
        self._begun = False
        self._closed = False

    def begin(self, api: APIClient, roots: Mapping[str, str]) -> None:
        """Begin creating and starting a container for each of the first roots (key -> image)."""
        batch_id = uuid.uuid4()
        first = list(roots.items())[:_WARM_LIMIT]
        waiting = {(key, image): WarmContainer(key, image, batch_id) for key, image in first}
        batch = _Batch(waiting)
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
            batch.expiry = threading.Timer(TAKE_WITHIN_SECONDS, self._expire, args=(api, batch))
            batch.expiry.name = "hm-docker-warm-expiry"
            batch.expiry.daemon = True
            batch.expiry.start()

    def _make(self, api: APIClient, queue: list[WarmContainer]) -> None:
        """Create, then start, the next containers of *queue* until it is empty."""
        while True:
            with self._lock:
                if not queue:
                    return
                warm = queue.pop(0)
            self._make_one(api, warm)

    def _make_one(self, api: APIClient, warm: WarmContainer) -> None:
        """
        Any failure leaves *warm* unmade, for the step's own start to meet and report: on
        this thread nobody would see it but as a thread's traceback on the terminal.
        """
        try:
            try:
                warm.config = inspect_image(api, warm.image)["Config"] or {}
                created = create_chain_container(api, warm.image, name=warm.name, owner=self._token)
                warm.id = created["Id"]
            finally:
                warm.created.set()
            api.start(warm.id)
            warm.running = True
        except Exception:  # see the docstring
            pass
        finally:
            warm.settled.set()

    def take(self, run_id: uuid.UUID, key: str, image: str) -> WarmContainer | None:
        """
        The container begun for root *key* of *image*, once created (maybe still starting),
        from a batch *run_id* owns or nobody does (then *run_id* owns it); None if there is
        none, or its creation failed. Nobody else can take it after.
        """
        with self._lock:
            warm = None
            # One run takes from one batch: its own once it has one (even if all taken).
            owner = run_id if run_id in self._takers else None
            for batch in self._batches:
                if batch.owner != owner:
                    continue
                warm = batch.waiting.pop((key, image), None)
                if warm is not None:
                    batch.owner = run_id
                    self._takers.add(run_id)
                    if not batch.waiting:
                        self._forget([batch])
                    break
        if warm is None:
            return None
        warm.created.wait()
        return warm if warm.id is not None else None

    def end_run(self, run_id: uuid.UUID) -> list[str]:
        """The ids to remove of the containers not taken of the batches *run_id* took from."""
        with self._lock:
            self._takers.discard(run_id)
            ended = [batch for batch in self._batches if batch.owner == run_id]
            self._forget(ended)
        return _settle(ended)

    def close(self) -> list[str]:
        """The process is exiting: the ids to remove of every container not taken."""
        with self._lock:
            self._closed = True
            batches = list(self._batches)
            self._forget(batches)
        return _settle(batches)

    def _expire(self, api: APIClient, batch: _Batch) -> None:
        """
        Remove what is left of *batch*, which nobody is waiting to take any more. On the
        timer's thread an error would be a traceback on the terminal: what a failed removal
        leaves is `hm cache clean`'s.
        """
        with self._lock:
            if batch not in self._batches:
                return
            self._forget([batch])
        with contextlib.suppress(Exception):
            self._remove(api, _settle([batch]))

    def _forget(self, batches: list[_Batch]) -> None:
        """Nobody takes from *batches* from now on; called with the lock held."""
        for batch in batches:
            self._batches.remove(batch)
            if batch.expiry is not None:
                batch.expiry.cancel()

    def forced(self, api: APIClient) -> list[str]:
        """
        The forced exit: every container begun, taken or not, found by label without waiting
        for the creations in flight (those that land later are `hm cache clean`'s); the ids.
        """
        with self._lock:
            self._closed = True
            self._forget(list(self._batches))
            begun = self._begun
        if not begun:
            return []
        found = api.containers(all=True, filters={"label": f"{LABEL_RUN}={self._token}"})
        return [container["Id"] for container in found]


def _settle(batches: list[_Batch]) -> list[str]:
    """
    The ids of *batches*' containers not taken, once their creations in flight have landed
    (within one deadline for them all), so that none is left.
    """
    deadline = time.monotonic() + _SETTLE_SECONDS
    for batch in batches:
        for thread in batch.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    return [warm.id for b in batches for warm in b.waiting.values() if warm.id is not None]
