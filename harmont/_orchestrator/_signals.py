"""
Ctrl-C for a command-line build: the first press cancels, the second exits at once.

Only the CLI installs this; :func:`harmont.run` never touches signal handlers, it watches
the cancel event it is given. The first SIGINT sets that event (running steps are killed,
the build ends with exit 130 after its ``build_end``); the second runs the forced-exit
cleanups the executors registered (:mod:`._cleanup`: kill step process groups, remove the
run's containers), which are bounded to a couple of seconds, and exits 130 without
waiting for anything else, exit handlers included.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Final

from harmont._orchestrator._cleanup import force_cleanup
from harmont._orchestrator._result import EXIT_CANCELLED

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

__all__ = ["FIRST_PRESS", "SECOND_PRESS", "ctrl_c_cancels"]

FIRST_PRESS: Final = "cancelling… (Ctrl-C again to force)"
SECOND_PRESS: Final = "force-exit on second Ctrl-C"


@contextlib.contextmanager
def ctrl_c_cancels(cancel: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """
    While inside, SIGINT sets *cancel* (first press) or exits 130 (second press).

    The previous handler comes back on the way out, unless the build was cancelled: then
    any later press still forces exit 130.

    :param say: shows the one-line message of each press to the user.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if not cancel.is_set():
            cancel.set()
            say(FIRST_PRESS)
            return
        say(SECOND_PRESS)
        sys.stderr.flush()
        force_cleanup()
        os._exit(EXIT_CANCELLED)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        # Once cancelled, the process is on its way out with 130: a late second press
        # must force that exit, not raise KeyboardInterrupt wherever the program is.
        if not cancel.is_set():
            signal.signal(signal.SIGINT, previous)
