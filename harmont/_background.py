"""
One call running on a daemon thread, so its caller can stop waiting without stopping it.

Python cannot stop a thread. Where harmont must not wait longer than a limit (a hook's
``timeout_ms``) or past a cancellation (Ctrl-C before a build starts), it runs the call
here and waits in slices; a call it gives up on keeps running and, being on a daemon
thread, does not hold the process open at exit.

Every chain of a build runs on such a thread (:func:`start`), so the threads are reused:
starting one costs more than a trivial step's whole scheduling. A thread that finishes its
call waits for the next one (a few are kept, the rest end). A call that never returns keeps
its thread and nothing else: the next call gets another thread, so a hung plugin is
abandoned exactly as it was on a thread of its own. Each call runs in a fresh
:mod:`contextvars` context and under its own thread name, as it would on a new thread; what
a call keeps in a :class:`threading.local` (or a native library in its ``thread_local``)
stays for whichever call the thread makes next.

A thread parks before it says its call has ended, so a caller that waited for one call
and starts another finds the thread idle: reuse does not depend on which thread runs first.
"""

from __future__ import annotations

import contextvars
import os
import threading
from typing import TYPE_CHECKING, Final, Generic, TypeVar, final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Background", "start"]

T = TypeVar("T")

#: How many idle threads wait for the next call; more than a build's parallelism is rare.
_KEPT: Final = 8
#: The name of a thread that waits for a call.
_IDLE_NAME: Final = "hm-idle"


@final
class _Thread:
    """A daemon thread that makes the calls it is given, one at a time."""

    def __init__(self, threads: _Threads) -> None:
        self._threads = threads
        self._call: Callable[[], None] | None = None
        self._ended: Callable[[], None] | None = None
        # Released once per call given: the thread waits on it between calls.
        self._given = threading.Lock()
        self._given.acquire()
        self._thread = threading.Thread(target=self._serve, name=_IDLE_NAME, daemon=True)
        self._thread.start()

    def give(self, name: str, call: Callable[[], None], ended: Callable[[], None]) -> None:
        """
        Make *call* next, under *name* (named here, so it reads so before it starts).

        *ended* is called once the thread is parked (or about to end) after *call*; *call*
        must not raise.
        """
        self._thread.name = name
        self._call, self._ended = call, ended
        self._given.release()

    def _serve(self) -> None:
        while True:
            self._given.acquire()
            call, self._call = self._call, None
            ended, self._ended = self._ended, None
            if call is not None:
                contextvars.Context().run(call)
            self._thread.name = _IDLE_NAME
            kept = self._threads.park(self)
            if ended is not None:
                ended()
            if not kept:
                return


@final
class _Threads:
    """The idle :class:`_Thread`\\ s, the latest first; a new one when none is idle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Thread] = []

    def run(self, name: str, call: Callable[[], None], ended: Callable[[], None]) -> None:
        """
        Make *call* on an idle thread, or on a new one when every thread is busy.

        *ended* runs once the thread is idle again, after *call*.
        """
        with self._lock:
            thread = self._idle.pop() if self._idle else None
        if thread is None:
            thread = _Thread(self)
        thread.give(name, call, ended)

    def park(self, thread: _Thread) -> bool:
        """Keep *thread* for a later call; False when enough are kept, and it should end."""
        with self._lock:
            if len(self._idle) >= _KEPT:
                return False
            self._idle.append(thread)
            return True

    def forget(self) -> None:
        """In a forked child, where none of the threads exists: none is idle."""
        self._lock = threading.Lock()
        self._idle = []


_THREADS: Final = _Threads()
os.register_at_fork(after_in_child=_THREADS.forget)


def _nothing() -> None:
    """What :func:`start` does once its call has ended: nobody waits for it."""


def start(call: Callable[[], None], *, name: str) -> None:
    """
    Make *call* on a reused daemon thread named *name*, and wait for nothing: for a caller
    that hears back from *call* itself (a scheduler's chain). *call* must not raise.
    """
    _THREADS.run(name, call, _nothing)


@final
class Background(Generic[T]):
    """*call* started on a daemon thread named *name*; its result or exception kept."""

    def __init__(self, call: Callable[[], T], *, name: str) -> None:
        self._call = call
        self._outcome: list[T] = []
        self._failure: list[BaseException] = []
        # Held until the call has ended: waiting is acquiring it.
        self._running = threading.Lock()
        self._running.acquire()
        _THREADS.run(name, self._run, self._running.release)

    def _run(self) -> None:
        try:
            self._outcome.append(self._call())
        except BaseException as exc:  # handed over to the waiting thread, re-raised there
            self._failure.append(exc)

    def wait(self, seconds: float) -> bool:
        """Wait at most *seconds*; return whether the call has finished."""
        if self._running.acquire(timeout=max(seconds, 0)):
            self._running.release()  # later waits return at once
            return True
        return False

    def result(self) -> T:
        """
        What the finished call returned.

        :raises BaseException: whatever the call raised, on the calling thread.
        """
        if self._failure:
            raise self._failure[0]
        return self._outcome[0]
