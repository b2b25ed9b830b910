"""
A chain's shell session over an exec stream: the one driver of :class:`TokenFraming`.

A Docker exec attached through the engine's API and a Kubernetes exec websocket both give
a ``sh`` with stdin, stdout and stderr and nothing else, so both frame steps with
:class:`~._shell_session.TokenFraming` and read them back the same way, here. A transport
supplies an :class:`ExecStream` (bytes in; output per stream out; how the shell ended),
and :class:`TokenSession` does the rest: it writes each step's script, splits each output
stream at the session's token with a :class:`~._shell_session.TokenScanner`, and between
reads polls cancellation and the step's deadline.

Stopping a step (timeout, cancellation) is the runner's ``stop``: removing the container
or deleting the pod kills the session and everything the step started at once, and ends
the stream. A stopped step has failed, so its chain's environment has no further use.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Final, NoReturn, Protocol

from harmont._errors import PluginRuntimeError
from harmont._executors._process import (
    EXIT_CANCELLED,
    EXIT_TIMED_OUT,
    POLL_SECONDS,
    ProcessOutcome,
)
from harmont._executors._shell_session import TokenFraming, TokenScanner
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._executors._shell_session import StepScript

__all__ = ["ErrorMapper", "ExecStream", "TokenSession"]

#: What ``_StepRead.stopped`` holds once the step was stopped for a cancellation.
_CANCELLED: Final = "cancelled"
#: ... and for its time limit.
_TIMED_OUT: Final = "timed out"


class ExecStream(Protocol):
    """The live exec of the chain's ``sh``, as its transport carries it."""

    def send(self, data: bytes) -> None:
        """Write *data* to the shell's stdin; raises the transport's error on failure."""

    def receive(self, timeout: float) -> list[tuple[StdStream, bytes]] | None:
        """
        The output that arrived within *timeout* seconds, per stream (possibly none);
        None once the stream has ended. Raises the transport's error on failure.
        """

    def exit_status(self) -> int | None:
        """The shell's exit status once the stream has ended; None if not known."""

    def close(self) -> None:
        """Close the stream, so the shell sees its stdin end; idempotent, never raises."""


class ErrorMapper(Protocol):
    """A runner's translation of a transport failure into harmont's errors."""

    def __call__(self, exc: Exception, /, *, code: str, doing: str) -> NoReturn:
        """Raise the error of *exc*, met while *doing*, with the stable *code*."""


class TokenSession:
    """
    The ``sh`` of one chain, over the stream *open_stream* makes on the first step.

    :param open_stream: starts the shell (``sh`` in *session_cwd*); raises the runner's
        own errors.
    :param plugin: the runner's plugin name, which its errors carry.
    :param code: the code of the errors of the session.
    :param error: turns a failure of the stream into the runner's error.
    :param drain_seconds: how long output still in flight is read once a step was stopped.
    """

    def __init__(
        self,
        open_stream: Callable[[], ExecStream],
        *,
        session_cwd: str,
        plugin: str,
        code: str,
        error: ErrorMapper,
        drain_seconds: float,
    ) -> None:
        self._open_stream = open_stream
        self._framing = TokenFraming(session_cwd=session_cwd)
        self._plugin = plugin
        self._code = code
        self._error = error
        self._drain_seconds = drain_seconds
        self._stream: ExecStream | None = None

    def close(self) -> None:
        """End the session: its stdin closes, so ``sh`` exits; idempotent."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def run(
        self,
        step: StepScript,
        *,
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        stop: Callable[[], None],
        timeout_seconds: float | None = None,
    ) -> ProcessOutcome:
        """
        Run *step* in the session and wait for it.

        :param stop: kills the session and all the step started (removes its environment).
        :raises PluginRuntimeError: with the session's code, the session failed.
        :raises EngineUnavailable: the connection to the engine or cluster was lost.
        :raises ValueError: the step's command or env holds a NUL byte.
        """
        script = self._framing.script(step)
        if self._stream is None:
            self._stream = self._open_stream()
        stream = self._stream
        try:
            stream.send(script)
        except Exception as exc:  # each transport raises errors of its own client
            self._fail(exc, "sending a step to the chain's shell")
        wait = _StepRead(
            stream,
            self._framing.token,
            on_output=on_output,
            should_cancel=should_cancel,
            stop=stop,
            timeout_seconds=timeout_seconds,
            drain_seconds=self._drain_seconds,
        )
        try:
            wait.run()
        except Exception as exc:
            self._fail(exc, "reading the step's output")
        if wait.stopped is not None:
            self.close()
            if wait.stopped == _CANCELLED:
                return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True)
            return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True)
        if len(wait.records) < len(wait.scanners):
            return self._lost(stream, wait.scanners, on_output)
        status = wait.records[StdStream.STDOUT].decode("ascii", "replace")
        if not status.isdigit():
            self.close()
            raise PluginRuntimeError(
                f"{self._plugin}: the chain's shell reported a step status of {status!r}",
                plugin=self._plugin,
                code=self._code,
            )
        return ProcessOutcome(exit_code=int(status))

    def _fail(self, exc: Exception, doing: str) -> NoReturn:
        self.close()
        self._error(exc, code=self._code, doing=doing)

    def _lost(
        self,
        stream: ExecStream,
        scanners: dict[StdStream, TokenScanner],
        on_output: Callable[[StdStream, bytes], None],
    ) -> ProcessOutcome:
        """The session ended under the step (a step that killed its shell): step failed."""
        for name, scanner in scanners.items():
            if scanner.leftover:
                on_output(name, scanner.leftover)
        code = None
        with contextlib.suppress(Exception):  # best effort: the step has failed either way
            code = stream.exit_status()
        self.close()
        code = code or 1
        message = f"the chain's shell session ended (status {code}) before the step's shell did"
        on_output(StdStream.STDERR, f"{message}\n".encode())
        return ProcessOutcome(exit_code=code)


class _StepRead:
    """Reads one step's output until both streams carried its record, or the end."""

    def __init__(
        self,
        stream: ExecStream,
        token: bytes,
        *,
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        stop: Callable[[], None],
        timeout_seconds: float | None,
        drain_seconds: float,
    ) -> None:
        self.stream = stream
        self.scanners = {name: TokenScanner(token) for name in StdStream}
        self.records: dict[StdStream, bytes] = {}
        self.on_output = on_output
        self.should_cancel = should_cancel
        self.stop = stop
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self.drain_seconds = drain_seconds
        #: :data:`_CANCELLED` or :data:`_TIMED_OUT` once the step's environment was removed.
        self.stopped: str | None = None
        self.stopped_at = 0.0

    def run(self) -> None:
        """Read until both records came, the stream ended, or a stopped step drained."""
        while len(self.records) < len(self.scanners) and self._keep_reading():
            try:
                chunks = self.stream.receive(POLL_SECONDS)
            except Exception:
                if self.stopped is not None:
                    return  # the environment is going: its stream may end any way it likes
                raise
            if chunks is None:
                return
            for name, data in chunks:
                if data and name not in self.records:
                    output, record = self.scanners[name].feed(data)
                    if output:
                        self.on_output(name, output)
                    if record is not None:
                        self.records[name] = record

    def _keep_reading(self) -> bool:
        """Stop the step if asked; whether to read on (not stopped, or still draining)."""
        if self.stopped is not None:
            return time.monotonic() - self.stopped_at <= self.drain_seconds
        if self.should_cancel():
            self.stopped = _CANCELLED
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = _TIMED_OUT
        else:
            return True
        self.stopped_at = time.monotonic()
        self.stop()
        return True
