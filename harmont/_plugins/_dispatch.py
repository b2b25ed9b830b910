"""
Calling one plugin: translating its failures and bounding its time.

Every call into plugin code goes through :func:`call_plugin`, the seam where foreign
exceptions become :class:`~harmont.PluginRuntimeError` naming the plugin and the
capability, and where a result of the wrong type is caught before it travels further.

A :class:`~harmont.PluginRuntimeError` that a plugin raises itself with a ``code`` is a
refusal it means ("image not found"), worded for the user: it keeps its message, prefixed
with the plugin's name. Anything else reads as the failure it is ("plugin 'x' failed
during 'execute_step': ..."), so that a bug is not mistaken for a verdict.

Anything means any :class:`BaseException`: a plugin that calls ``sys.exit()`` or raises
``KeyboardInterrupt`` or ``GeneratorExit`` has failed its call like one that raised
``KeyError``, and must not end a build as if it had passed. The one exception is a real
Ctrl-C: Python raises it as ``KeyboardInterrupt`` wherever the main thread is, so a call on
the main thread runs under a SIGINT handler of ours whose ``KeyboardInterrupt`` is told
apart (:class:`Interrupted`) and passed on, to cancel as it always did. Off the main thread
no signal ever raises, so every ``KeyboardInterrupt`` there is the plugin's.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import TYPE_CHECKING, Final, Literal, TypeVar, final

from harmont._background import Background
from harmont._errors import EngineUnavailable, ImageUnavailable, PluginRuntimeError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

__all__ = [
    "ABANDON_GRACE_S",
    "MANIFEST_TIMEOUT_MS",
    "SLICE_S",
    "Abandoned",
    "Bound",
    "Interrupted",
    "Watch",
    "call_bounded",
    "call_plugin",
    "call_with_timeout",
    "real_interrupt",
]

T = TypeVar("T")

#: The code a plugin error gets when the plugin raised something other than
#: PluginRuntimeError: a bug in the plugin rather than a failure it reported.
UNHANDLED: Final = "unhandled_exception"
#: The code of a call that returned something other than the spec's result type.
BAD_RESULT: Final = "bad_result"
#: The code of a call that overran its time limit.
TIMEOUT: Final = "timeout"

#: How long loading may wait for a plugin's manifest. A manifest is data, so this only
#: has to cover starting an isolated worker on a busy machine; a plugin that takes longer
#: is listed broken instead of hanging every command, `hm plugin list` included.
MANIFEST_TIMEOUT_MS: Final = 10_000

#: How long a call that should end (its step's time is up, or the build is stopping) may
#: take to end on its own before it is abandoned. Executors enforce both themselves, and
#: need a moment for it: killing a process group, removing a container.
ABANDON_GRACE_S: Final = 5.0
#: How often a bounded wait looks at the clock and the cancel flag.
SLICE_S: Final = 0.05


class Interrupted(KeyboardInterrupt):
    """
    The user's stop (Ctrl-C, or SIGTERM or SIGHUP, which `hm` treats alike) that arrived
    while a plugin call ran on the main thread: never the plugin's failure.
    """


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


@contextlib.contextmanager
def real_interrupt() -> Iterator[None]:
    """
    While inside, a Ctrl-C raises :class:`Interrupted` instead of a bare KeyboardInterrupt.

    Only where Python's own handler is in place, on the main thread: a handler someone
    installed (a build's cancel-on-Ctrl-C) raises nothing, so it is left alone.
    """
    if not _interruptible():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _interruptible() -> bool:
    """Whether a Ctrl-C would raise here: on the main thread, under Python's own handler."""
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def call_plugin(
    call: Callable[[], list[object]],
    *,
    plugin: str,
    capability: str,
    expected: type[T] | tuple[type[T], ...],
) -> T:
    """
    Run ``call`` (a pluggy call on exactly one plugin) and return its single result.

    :raises PluginRuntimeError: the plugin raised (its own refusal keeps its message, see
        the module docstring), returned nothing, or returned a value that is not an
        instance of ``expected``.
    :raises EngineUnavailable: raised by the plugin, passed on unchanged.
    :raises ImageUnavailable: raised by the plugin, passed on unchanged.
    """
    try:
        if _interruptible():
            with real_interrupt():
                results = call()
        else:  # every step's call, on its chain's thread: no handler to swap
            results = call()
    except Interrupted:
        raise  # the user pressed Ctrl-C: not the plugin's doing
    except (EngineUnavailable, ImageUnavailable):
        # Not plugin failures: the engine a runner drives is down (exit 4), or
        # the pipeline names an image that cannot be had (exit 2).
        raise
    except PluginRuntimeError as exc:
        raise PluginRuntimeError(
            _reported(exc, plugin=plugin, capability=capability),
            plugin=plugin,
            capability=capability,
            code=exc.code,
            hint=exc.hint,
        ) from exc
    except BaseException as exc:  # SystemExit, KeyboardInterrupt...: see the module docstring
        raise PluginRuntimeError(
            f"plugin '{plugin}' raised {type(exc).__name__} during '{capability}'"
            + (f": {exc}" if str(exc) else ""),
            plugin=plugin,
            capability=capability,
            code=UNHANDLED,
            hint="this is a bug in the plugin; report it to its authors",
        ) from exc
    result = results[0] if results else None
    if not isinstance(result, expected):
        names = expected if isinstance(expected, tuple) else (expected,)
        wanted = " or ".join(t.__name__ for t in names)
        raise PluginRuntimeError(
            f"plugin '{plugin}' returned {type(result).__name__} from '{capability}', "
            f"expected {wanted}",
            plugin=plugin,
            capability=capability,
            code=BAD_RESULT,
        )
    return result


def _reported(exc: PluginRuntimeError, *, plugin: str, capability: str) -> str:
    """The message of *exc*, raised by *plugin* during *capability*, as the user reads it."""
    # No capability yet: raised by the plugin's own code, not made by a host seam (the
    # native wrapper sets one) for a crash, a timeout or a result that does not decode.
    if exc.code is not None and exc.capability is None:
        prefix = f"{plugin}: "
        return exc.message if exc.message.startswith(prefix) else prefix + exc.message
    return f"plugin '{plugin}' failed during '{capability}': {exc.message}"


def call_with_timeout(call: Callable[[], T], *, timeout_ms: int, plugin: str, capability: str) -> T:
    """
    Run ``call`` on a daemon thread and wait at most ``timeout_ms`` for it.

    Python cannot stop a thread, so a call that overruns keeps running in the
    background; being a daemon thread, it does not hold the process open at exit.

    :raises PluginRuntimeError: with code ``timeout`` when the call overruns; whatever
        ``call`` raises is re-raised on the calling thread.
    """
    job = Background(call, name=f"hm-plugin-{plugin}")
    if not job.wait(timeout_ms / 1000):
        raise PluginRuntimeError(
            f"plugin '{plugin}' timed out after {timeout_ms}ms during '{capability}'",
            plugin=plugin,
            capability=capability,
            code=TIMEOUT,
        )
    return job.result()


class Abandoned(PluginRuntimeError):
    """
    A call :func:`call_bounded` stopped waiting for; it goes on, unobserved, on its thread.

    ``timed_out`` tells why: True for its own time limit, False for a cancellation.
    """

    def __init__(self, message: str, *, plugin: str, capability: str, timed_out: bool) -> None:
        super().__init__(message, plugin=plugin, capability=capability, code=TIMEOUT)
        self.timed_out = timed_out


@final
class Bound:
    """
    How long to wait for a call: until *seconds* from now, and no longer than
    :data:`ABANDON_GRACE_S` after *cancelled* first holds, whichever comes first.

    The waiter polls :meth:`passed` between slices of its wait.
    """

    def __init__(self, seconds: float | None, cancelled: Callable[[], bool] | None = None) -> None:
        self.seconds = seconds
        self._deadline = None if seconds is None else time.monotonic() + seconds
        self._cancelled = cancelled
        self._stop_by: float | None = None

    def passed(self) -> Literal["timed out", "stopped"] | None:
        """None while the wait may go on; else why it must end, by what came first."""
        now = time.monotonic()
        if self._stop_by is None and self._cancelled is not None and self._cancelled():
            self._stop_by = now + ABANDON_GRACE_S
        deadline, stop_by = self._deadline, self._stop_by
        if deadline is not None and now >= deadline and (stop_by is None or deadline <= stop_by):
            return "timed out"
        if stop_by is not None and now >= stop_by:
            return "stopped"
        return None


@final
class Watch:
    """
    The bound of one call (:data:`ABANDON_GRACE_S` past ``limit_s``, its own time limit,
    and past the moment ``cancelled()`` first holds), kept by a thread other than the
    one making it.

    The caller that makes the call on its own thread (a chain's worker running its step)
    saves a hand-off to another thread per call; whoever watches it polls :meth:`overdue`
    every slice and, past the bound, carries on in the caller's place. Exactly one side
    wins: :meth:`returned` tells the caller whether its outcome still counts.

    :param on_abandon: called once the call is given up on, to stop what can be stopped
        (an isolated plugin's call in its worker).
    """

    def __init__(
        self,
        *,
        limit_s: float | None,
        cancelled: Callable[[], bool],
        plugin: str,
        capability: str,
        on_abandon: Callable[[], None] | None = None,
    ) -> None:
        self._bound = Bound(None if limit_s is None else limit_s + ABANDON_GRACE_S, cancelled)
        self._limit_s = limit_s
        self._plugin = plugin
        self._capability = capability
        self._on_abandon = on_abandon
        self._lock = threading.Lock()
        self._settled = False

    def returned(self) -> bool:
        """The call has ended: True when its outcome counts, False when it was abandoned."""
        with self._lock:
            if self._settled:
                return False
            self._settled = True
            return True

    def overdue(self) -> Abandoned | None:
        """
        None while the call may go on (or once it returned); past its bound, the call is
        abandoned, once, and the error says why.
        """
        why = self._bound.passed()
        if why is None:
            return None
        with self._lock:
            if self._settled:
                return None
            self._settled = True
        if self._on_abandon is not None:
            self._on_abandon()
        timed_out = why == "timed out"
        after = f"its {self._limit_s:g}s time limit" if timed_out else "being asked to stop"
        return Abandoned(
            f"plugin '{self._plugin}' did not end '{self._capability}' within "
            f"{ABANDON_GRACE_S:g}s of {after}; it was abandoned",
            plugin=self._plugin,
            capability=self._capability,
            timed_out=timed_out,
        )


def call_bounded(call: Callable[[], T], *, watch: Watch, name: str) -> T:
    """
    Run ``call`` on a daemon thread named *name*; wait until it returns, or until *watch*
    says it is overdue.

    Python cannot stop the thread: an abandoned call runs on, and whatever it returns or
    raises later is dropped.

    :raises Abandoned: the call was given up on.
    """
    job = Background(call, name=name)
    while not job.wait(SLICE_S):
        abandoned = watch.overdue()
        if abandoned is not None:
            raise abandoned
    return job.result()
