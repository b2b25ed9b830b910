"""
The scheduler's book of waits: which chains may run on, and from where.

A chain runs as one or more *segments*. Its first step starts one; so does every later step
that waits for a step of another chain (:attr:`harmont.Chain.waits`). A worker runs a
segment's steps and goes on into the next segment at once when everything that segment
waits for has already passed; otherwise it gives its pool slot back and the chain
*pauses* there, its environment kept alive by the executor, until the steps waited for
have finished. Waits are on steps, never on whole chains, so two chains may each pause for
a step of the other: the steps form a DAG, so some segment can always run.

The scheduler's main loop keeps the book, except that a worker records a step that
passed itself (:meth:`WaitBoard.passed`, under the board's lock) and wakes the main loop
only when that made a segment ready: most steps that others wait for cost no wake-up.
Workers read :meth:`WaitBoard.may_go_on` from their threads.
"""

from __future__ import annotations

import heapq
import threading
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from harmont._ir._model import Dependency
    from harmont._ir._plan import Plan

__all__ = ["Segment", "WaitBoard"]

#: A place a chain (re)starts from: (chain index, position of its step in the chain).
Segment: TypeAlias = tuple[int, int]


class WaitBoard:
    """Every segment's waits, which steps have finished, and which segments are ready."""

    def __init__(self, plan: Plan) -> None:
        self._keys = [chain.keys for chain in plan.chains]
        where = {key: position for keys in self._keys for position, key in enumerate(keys)}
        #: Per chain: position -> the waits of the step there.
        self._waits: list[dict[int, list[Dependency]]] = []
        self._unfinished: dict[Segment, int] = {}
        self._waiters: dict[str, list[Segment]] = {}
        for chain in plan.chains:
            at: dict[int, list[Dependency]] = {}
            for wait in chain.waits:
                segment = (chain.index, where[wait.step])
                at.setdefault(segment[1], []).append(wait)
                self._unfinished[segment] = self._unfinished.get(segment, 0) + 1
                self._waiters.setdefault(wait.after, []).append(segment)
            self._waits.append(at)
        #: Step key -> whether it passed, once it finished (ran, or never will).
        self.finished: dict[str, bool] = {}
        #: Segments a chain has reached, with the live snapshot to resume from.
        self._arrived: dict[Segment, str | None] = {
            (index, 0): None for index in range(len(self._keys))
        }
        self._ready: list[Segment] = [s for s in self._arrived if not self._unfinished.get(s)]
        heapq.heapify(self._ready)
        self._lock = threading.Lock()

    @property
    def watched(self) -> frozenset[str]:
        """The steps some segment waits for: workers report when one of them passes."""
        return frozenset(self._waiters)

    def waits_at(self, segment: Segment) -> list[Dependency]:
        """The waits of the step that starts *segment* (none for a chain with no waits)."""
        return self._waits[segment[0]].get(segment[1], [])

    def needs(self, segment: Segment) -> list[tuple[bool, bool]]:
        """``(passed, requires_success)`` of each wait of *segment*, which have all finished."""
        with self._lock:
            return [(self.finished[w.after], w.requires_success) for w in self.waits_at(segment)]

    def may_go_on(self, chain: int, position: int) -> bool:
        """
        Whether a worker may run on into the step at *position* without pausing: it has no
        waits, or every step it waits for has passed. Safe to call from any thread.
        """
        waits = self._waits[chain].get(position)
        return waits is None or all(self.finished.get(w.after) is True for w in waits)

    @property
    def has_ready(self) -> bool:
        """Whether :meth:`pop_ready` has a segment to give."""
        return bool(self._ready)

    def pop_ready(self) -> tuple[Segment, str | None] | None:
        """The lowest ready segment and its live snapshot (None: from the chain's start)."""
        with self._lock:
            if not self._ready:
                return None
            segment = heapq.heappop(self._ready)
            return segment, self._arrived.pop(segment)

    def push_ready(self, segment: Segment, parent: str | None) -> None:
        """Put back a segment :meth:`pop_ready` gave that cannot start yet."""
        with self._lock:
            self._arrived[segment] = parent
            heapq.heappush(self._ready, segment)

    def paused(self, segment: Segment, parent: str | None) -> None:
        """A worker stopped before *segment*; it is ready once its waits have finished."""
        with self._lock:
            self._arrived[segment] = parent
            if not self._unfinished.get(segment):
                heapq.heappush(self._ready, segment)

    def passed(self, key: str) -> bool:
        """Step *key* ran and passed; say whether that made a segment ready. Any thread."""
        with self._lock:
            return self._finish(key, passed=True)

    def stopped(self, segment: Segment) -> None:
        """The chain will run nothing from *segment* on: those steps finished unpassed."""
        chain, position = segment
        with self._lock:
            for key in self._keys[chain][position:]:
                self._finish(key, passed=False)

    def _finish(self, key: str, *, passed: bool) -> bool:
        if key in self.finished:
            return False
        self.finished[key] = passed
        readied = False
        for segment in self._waiters.get(key, ()):
            self._unfinished[segment] -= 1
            if self._unfinished[segment] == 0 and segment in self._arrived:
                heapq.heappush(self._ready, segment)
                readied = True
        return readied
