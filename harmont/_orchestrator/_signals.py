"""
Signals for a command-line `hm`: the first cancels, the second exits at once.

SIGINT (Ctrl-C), SIGTERM (``kill``, a service manager, CI stopping a job) and SIGHUP (the
terminal closed) all mean "stop": each is handled as a first Ctrl-C, and any second one
as a second Ctrl-C. `hm` then exits ``128 + N`` for the signal N that stopped it (130,
143, 129), as a shell reports a process killed by it, but only after cleaning up.

Only the CLI installs these; :func:`harmont.run` never touches signal handlers, it watches
the cancel event it is given.

- During a build (:func:`signals_cancel`), the first signal sets that event: running
  steps are killed, the executors remove their directories and containers, the build ends
  after its ``build_end``, and a child interpreter importing pipeline files is killed.
- Outside a build (:func:`signals_interrupt`: loading plugins, `hm pipelines`...),
  SIGTERM and SIGHUP raise :class:`KeyboardInterrupt` in the main thread, as Python's own
  handler does for SIGINT (which is left in place), so ``finally`` blocks run (discovery
  kills its child there).
- The second runs the forced-exit cleanups the executors registered (:mod:`._cleanup`:
  kill step process groups, remove the run's containers), bounded to a couple of seconds,
  and exits without waiting for anything else, exit handlers included.
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
from harmont._plugins._dispatch import Interrupted

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

__all__ = [
    "FIRST_PRESS",
    "SECOND_PRESS",
    "STOPPING_SIGNALS",
    "exit_status",
    "forget_signals",
    "signals_cancel",
    "signals_interrupt",
]

FIRST_PRESS: Final = "cancelling… (Ctrl-C again to force)"
SECOND_PRESS: Final = "force-exit on second Ctrl-C"
#: The signals that stop `hm`, each as Ctrl-C does.
STOPPING_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: The first stopping signal this process received, if any: it decides the exit status.
_first: list[int] = []
_LOCK: Final = threading.Lock()


def exit_status(code: int) -> int:
    """
    The status `hm` exits with for *code*: a cancelled run's 130 becomes ``128 + N`` for
    the signal N that cancelled it (143 for SIGTERM, 129 for SIGHUP).
    """
    if code == EXIT_CANCELLED and _first:
        return 128 + _first[0]
    return code


def _first_signal(signum: int) -> bool:
    """Record *signum*; whether it is the first stopping signal of this process."""
    with _LOCK:
        if _first:
            return False
        _first.append(signum)
        return True


def _first_message(signum: int) -> str:
    if signum == signal.SIGINT:
        return FIRST_PRESS
    return f"cancelling on {signal.Signals(signum).name}… (a second signal forces exit)"


def _terminals() -> tuple[int, ...]:
    """Which of stdout and stderr are terminals, asked while they still answer."""
    found = []
    for descriptor in (1, 2):
        with contextlib.suppress(OSError):
            if os.isatty(descriptor):
                found.append(descriptor)
    return tuple(found)


def _hang_up(terminals: tuple[int, ...]) -> None:
    """
    SIGHUP: the terminal is gone, and every write to it now fails (EIO). Point the
    descriptors that were on it at /dev/null, so the cleanup still runs and the build
    still ends in order instead of failing on its first line of progress.
    """
    if not terminals:
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        for descriptor in terminals:
            os.dup2(null, descriptor)
        os.close(null)


def _say(say: Callable[[str], None], message: str) -> None:
    # After SIGHUP the terminal is gone: writing to it fails, and must not stop the cleanup.
    with contextlib.suppress(OSError, ValueError):
        say(message)
        sys.stderr.flush()


def _force_exit(signum: int, say: Callable[[str], None]) -> None:
    """The second signal: say so, run the forced-exit cleanups, exit at once."""
    name = "second Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    _say(say, SECOND_PRESS if signum == signal.SIGINT else f"force-exit on {name}")
    force_cleanup()
    os._exit(exit_status(EXIT_CANCELLED))


def _install(
    handler: Callable[[int, FrameType | None], None], signals: tuple[int, ...] = STOPPING_SIGNALS
) -> dict[int, object]:
    return {signum: signal.signal(signum, handler) for signum in signals}


def _restore(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]  # what signal() returned


def _to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """
    While inside, a first SIGTERM or SIGHUP raises KeyboardInterrupt in the main thread,
    as a Ctrl-C does; a second one forces exit. The previous handlers come back on the way
    out. SIGINT keeps Python's handler: plugin calls tell a real Ctrl-C apart by it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    terminals = _terminals()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            _hang_up(terminals)
        if _first_signal(signum):
            # Interrupted, not a bare KeyboardInterrupt: a plugin call running on the main
            # thread passes it on as the user's stop, not as the plugin's failure.
            raise Interrupted
        _force_exit(signum, _to_stderr)

    previous = _install(on_signal, (signal.SIGTERM, signal.SIGHUP))
    try:
        yield
    finally:
        _restore(previous)


@contextlib.contextmanager
def signals_cancel(cancel: threading.Event, say: Callable[[str], None]) -> Iterator[None]:
    """
    While inside, the first stopping signal sets *cancel*; any second one forces exit.

    The previous handlers come back on the way out, unless the build was cancelled: then
    any later signal still forces exit.

    :param say: shows the one-line message of each signal to the user.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    terminals = _terminals()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            _hang_up(terminals)
        if not cancel.is_set():
            _first_signal(signum)
            cancel.set()
            _say(say, _first_message(signum))
            return
        _force_exit(signum, say)

    previous = _install(on_signal)
    try:
        yield
    finally:
        # Once cancelled, the process is on its way out: a late second signal must force
        # that exit, not raise KeyboardInterrupt wherever the program is.
        if not cancel.is_set():
            _restore(previous)


def forget_signals() -> None:
    """Forget the signal received, for a process that runs `hm` several times (tests)."""
    with _LOCK:
        _first.clear()
