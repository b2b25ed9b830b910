"""
One call running on a daemon thread, so its caller can stop waiting without stopping it.

Python cannot stop a thread. Where harmont must not wait longer than a limit (a hook's
``timeout_ms``) or past a cancellation (Ctrl-C before a build starts), it runs the call
here and waits in slices; a call it gives up on keeps running and, being on a daemon
thread, does not hold the process open at exit.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Generic, TypeVar, final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Background"]

T = TypeVar("T")


@final
class Background(Generic[T]):
    """*call* started on a daemon thread named *name*; its result or exception kept."""

    def __init__(self, call: Callable[[], T], *, name: str) -> None:
        self._call = call
        self._outcome: list[T] = []
        self._failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome.append(self._call())
        except BaseException as exc:  # handed over to the waiting thread, re-raised there
            self._failure.append(exc)

    def wait(self, seconds: float) -> bool:
        """Wait at most *seconds*; return whether the call has finished."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> T:
        """
        What the finished call returned.

        :raises BaseException: whatever the call raised, on the calling thread.
        """
        if self._failure:
            raise self._failure[0]
        return self._outcome[0]
