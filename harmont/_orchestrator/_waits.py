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

from harmont._ir._plan import wait_units

if TYPE_CHECKING:
    from harmont._ir._plan import Plan, WaitGroup

__all__ = ["Segment", "WaitBoard"]

#: A place a chain (re)starts from: (chain index, position of its step in the chain).
Segment: TypeAlias = tuple[int, int]
#: A wait of a segment on the board: (group number, requires_success, steps left out).
_Wait: TypeAlias = tuple[int, bool, frozenset[str]]


class WaitBoard:
    """
    Every segment's waits, which steps have finished, and which segments are ready.

    A segment waits on groups of steps (:data:`harmont._ir._plan.WaitUnit`): the steps
    before a wait are one group however many chains wait behind it. The board counts each
    group's unfinished and failed steps once, so finishing a step costs one count per group
    holding it, and a group's last step one count per segment waiting on the group: the
    book grows with the steps and the waits, not with the pairs a wait stands for.

    A wait may leave out some steps of its group (steps of its own chain, steps an earlier
    step of the chain waited for, steps another wait of the same step counts): those have
    finished whenever the chain reaches the waiting step, or are waited for there anyway,
    so counting them makes it ready no later; they are only left out of whether the wait's
    steps passed.
    """

    def __init__(self, plan: Plan) -> None:
        self._keys = [chain.keys for chain in plan.chains]
        numbers: dict[WaitGroup, int] = {}
        #: Per group: how many of its steps are unfinished, how many finished unpassed.
        self._left: list[int] = []
        self._failed: list[int] = []
        #: Per group: the segments waiting on it.
        self._waiters: list[list[Segment]] = []
        #: Step key -> the groups holding it.
        self._groups_of: dict[str, list[int]] = {}
        #: Per chain: position -> the waits of the step there.
        self._waits: list[dict[int, list[_Wait]]] = []
        self._unfinished: dict[Segment, int] = {}
        for chain in plan.chains:
            at: dict[int, list[_Wait]] = {}
            for position, units in wait_units(chain):
                segment = (chain.index, position)
                waits = at[position] = []
                for group, required, left_out in units:
                    number = numbers.get(group)
                    if number is None:
                        number = numbers[group] = self._add(group.keys)
                    waits.append((number, required, left_out))
                    self._waiters[number].append(segment)
                self._unfinished[segment] = len(waits)
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

    def _add(self, keys: tuple[str, ...]) -> int:
        """Number a group of steps *keys* and count them unfinished."""
        number = len(self._left)
        self._left.append(len(keys))
        self._failed.append(0)
        self._waiters.append([])
        for key in keys:
            self._groups_of.setdefault(key, []).append(number)
        return number

    @property
    def watched(self) -> frozenset[str]:
        """The steps some segment waits for: workers report when one of them passes."""
        return frozenset(self._groups_of)

    def needs(self, segment: Segment) -> list[tuple[bool, bool]]:
        """
        ``(passed, requires_success)`` of each wait of *segment*, which have all finished:
        passed when every step the wait counts passed.
        """
        with self._lock:
            return [
                (self._passed(wait), wait[1])
                for wait in self._waits[segment[0]].get(segment[1], ())
            ]

    def may_go_on(self, chain: int, position: int) -> bool:
        """
        Whether a worker may run on into the step at *position* without pausing: it has no
        waits, or every step it waits for has passed. Safe to call from any thread: a
        group's failures are counted before its unfinished steps, so a group read as
        finished is read with all its failures.
        """
        waits = self._waits[chain].get(position)
        return waits is None or all(
            self._left[wait[0]] == 0 and self._passed(wait) for wait in waits
        )

    def _passed(self, wait: _Wait) -> bool:
        """Whether the finished steps of *wait* passed, those it leaves out aside."""
        number, _, left_out = wait
        failed = self._failed[number]
        if failed and left_out:
            failed -= sum(self.finished.get(key) is False for key in left_out)
        return failed == 0

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
        for number in self._groups_of.get(key, ()):
            if not passed:
                self._failed[number] += 1
            self._left[number] -= 1
            if self._left[number]:
                continue
            for segment in self._waiters[number]:
                self._unfinished[segment] -= 1
                if self._unfinished[segment] == 0 and segment in self._arrived:
                    heapq.heappush(self._ready, segment)
                    readied = True
        return readied
