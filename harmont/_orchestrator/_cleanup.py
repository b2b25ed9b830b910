"""
What a forced exit (the second Ctrl-C) must still do, and how long it may take.

Executors register a ``force_cleanup()`` callable here when they are imported: kill the
processes, remove the containers. :func:`force_cleanup` runs them all at once, each on its
own daemon thread, and returns after :data:`FORCE_SECONDS` at the latest, whatever hangs:
the user asked to leave now. The orderly path (``build_end``, the ``atexit`` handlers)
is not this: it may wait for engines and in-flight work, which a forced exit never does.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FORCE_SECONDS", "force_cleanup", "on_forced_exit"]

#: The longest a forced exit waits for the cleanups registered here.
FORCE_SECONDS: Final = 2.0

_CLEANUPS: list[Callable[[], None]] = []
_LOCK: Final = threading.Lock()


def on_forced_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Register *cleanup* for a forced exit; it must be quick and must not raise. Returns it."""
    with _LOCK:
        _CLEANUPS.append(cleanup)
    return cleanup


def force_cleanup(seconds: float = FORCE_SECONDS) -> None:
    """Run every registered cleanup at once; return when all are done or *seconds* passed."""
    with _LOCK:
        cleanups = list(_CLEANUPS)
    threads = [threading.Thread(target=_quietly, args=(c,), daemon=True) for c in cleanups]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))


def _quietly(cleanup: Callable[[], None]) -> None:
    try:
        cleanup()
    except Exception:
        return
