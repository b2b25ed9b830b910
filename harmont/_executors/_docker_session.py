"""
A chain's shell session in its container: the Docker transport of :mod:`._shell_session`.

One ``exec`` of ``sh`` per chain, attached through the engine's API (stdin, stdout and
stderr over one hijacked connection, output multiplexed in frames of an 8-byte header:
stream, three zero bytes, big-endian length). Each step is a :class:`TokenFraming`
script written to the socket; the frames are split per stream and each stream is cut at
the session's token by its :class:`TokenScanner`, so no ``docker exec`` is paid per step.

The socket is read on the calling thread with ``select`` in 64 KiB chunks, waking every
:data:`POLL_SECONDS` to poll cancellation and the deadline. Stopping a step (timeout,
cancellation) means removing its container, as before sessions: that kills the session
and everything the step started in one engine call, and a stopped step has failed, so
its chain's container has no further use anyway.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from typing import TYPE_CHECKING, Any, Final, final

from harmont._errors import PluginRuntimeError
from harmont._executors._docker_engine import PLUGIN_NAME, engine_error
from harmont._executors._process import (
    EXIT_CANCELLED,
    EXIT_TIMED_OUT,
    POLL_SECONDS,
    ProcessOutcome,
)
from harmont._executors._shell_session import SESSION_ARGV, TokenFraming, TokenScanner
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable

    from docker import APIClient

    from harmont._executors._shell_session import StepScript

__all__ = ["DockerSession"]

_CHUNK: Final = 65536
_HEADER: Final = struct.Struct(">BxxxL")
_STREAMS: Final = {1: StdStream.STDOUT, 2: StdStream.STDERR}
#: How long the socket may take to end once the container is being removed.
_DRAIN_SECONDS: Final = 10.0


@final
class DockerSession:
    """The ``sh`` of the chain in *container*, started in *workdir* on the first step."""

    def __init__(self, api: APIClient, container: str, *, workdir: str) -> None:
        self._api = api
        self._container = container
        self._workdir = workdir
        self._framing = TokenFraming(session_cwd=workdir)
        self._exec_id: str | None = None
        self._socket: socket.socket | None = None
        self._holder: Any = None
        self._frames = b""

    def _connect(self) -> socket.socket:
        from docker.errors import DockerException

        if self._socket is not None:
            return self._socket
        try:
            self._exec_id = self._api.exec_create(
                self._container,
                list(SESSION_ARGV),
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                workdir=self._workdir,
            )["Id"]
            holder = self._api.exec_start(self._exec_id, socket=True)
        except (DockerException, OSError) as exc:
            engine_error(exc, code="docker_exec", doing="starting the chain's shell session")
        # docker-py hands back the SocketIO of the response (a socket for TLS): the select
        # loop needs the socket itself. The response must stay referenced meanwhile.
        self._holder = holder
        raw: socket.socket = getattr(holder, "_sock", None) or holder  # type: ignore[assignment]
        self._socket = raw
        return raw

    def close(self) -> None:
        """End the session: its stdin closes, so ``sh`` exits; idempotent."""
        sock, self._socket = self._socket, None
        holder, self._holder = self._holder, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        # The response, the SocketIO docker-py returned and the socket each hold the
        # connection: all three are closed, whichever closed it first.
        for closable in (getattr(holder, "_response", None), holder, sock):
            if closable is not None:
                with contextlib.suppress(OSError, ValueError):
                    closable.close()

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

        :param stop: kills the session and all the step started (removes the container).
        :raises PluginRuntimeError: code ``docker_exec``, the engine refused the exec.
        :raises EngineUnavailable: the connection to the engine was lost.
        :raises ValueError: the step's command or env holds a NUL byte.
        """
        script = self._framing.script(step)
        sock = self._connect()
        try:
            sock.sendall(script)
        except OSError as exc:
            self.close()
            engine_error(exc, code="docker_exec", doing="sending a step to the chain's shell")
        wait = _StepRead(
            self,
            sock,
            on_output=on_output,
            stop=stop,
            should_cancel=should_cancel,
            timeout_seconds=timeout_seconds,
        )
        wait.run()
        if wait.stopped is not None:
            self.close()
            if wait.stopped == "cancelled":
                return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True)
            return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True)
        if wait.ended:
            return self._lost(wait.scanners, on_output)
        status = wait.records[StdStream.STDOUT].decode("ascii", "replace")
        if not status.isdigit():
            self.close()
            raise PluginRuntimeError(
                f"docker: the chain's shell reported a step status of {status!r}",
                plugin=PLUGIN_NAME,
                code="docker_exec",
            )
        return ProcessOutcome(exit_code=int(status))

    @property
    def token(self) -> bytes:
        """The session's secret, which frames each step's end."""
        return self._framing.token

    def demultiplex(self, chunk: bytes) -> list[tuple[StdStream, bytes]]:
        """The complete frames *chunk* finishes; a frame split across chunks waits."""
        buffer = self._frames + chunk
        frames: list[tuple[StdStream, bytes]] = []
        at = 0
        while len(buffer) - at >= _HEADER.size:
            kind, size = _HEADER.unpack_from(buffer, at)
            end = at + _HEADER.size + size
            if end > len(buffer):
                break
            stream = _STREAMS.get(kind)
            if stream is not None and size:
                frames.append((stream, buffer[at + _HEADER.size : end]))
            at = end
        self._frames = buffer[at:]
        return frames

    def _lost(
        self, scanners: dict[StdStream, TokenScanner], on_output: Callable[[StdStream, bytes], None]
    ) -> ProcessOutcome:
        """The session ended under the step (a step that killed its shell): step failed."""
        from docker.errors import DockerException

        for stream, scanner in scanners.items():
            if scanner.leftover:
                on_output(stream, scanner.leftover)
        self.close()
        code = 1
        with contextlib.suppress(DockerException, OSError, KeyError, TypeError, ValueError):
            assert self._exec_id is not None
            for _ in range(100):
                state = self._api.exec_inspect(self._exec_id)
                if not state.get("Running") and state.get("ExitCode") is not None:
                    code = int(state["ExitCode"]) or 1
                    break
                time.sleep(0.01)
        message = f"the chain's shell session ended (status {code}) before the step's shell did"
        on_output(StdStream.STDERR, f"{message}\n".encode())
        return ProcessOutcome(exit_code=code)


class _StepRead:
    """Reads one step's frames until both streams carried its record, or the end."""

    def __init__(
        self,
        session: DockerSession,
        sock: socket.socket,
        *,
        on_output: Callable[[StdStream, bytes], None],
        stop: Callable[[], None],
        should_cancel: Callable[[], bool],
        timeout_seconds: float | None,
    ) -> None:
        self.session = session
        self.sock = sock
        self.on_output = on_output
        self.stop = stop
        self.should_cancel = should_cancel
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self.scanners = {s: TokenScanner(session.token) for s in StdStream}
        self.records: dict[StdStream, bytes] = {}
        #: ``cancelled`` or ``timed out`` once the container was removed under the step.
        self.stopped: str | None = None
        self.stopped_at = 0.0
        #: The session's stream ended before both records came.
        self.ended = False

    def run(self) -> None:
        while len(self.records) < len(self.scanners) and not self.ended:
            if self._check_stop():
                return
            chunk = self._receive()
            if chunk is None:
                continue
            if not chunk:
                self.ended = True
            for stream, data in self.session.demultiplex(chunk):
                if stream in self.records:
                    continue
                output, record = self.scanners[stream].feed(data)
                if output:
                    self.on_output(stream, output)
                if record is not None:
                    self.records[stream] = record

    def _check_stop(self) -> bool:
        """Stop the step if asked; whether to give up reading (stopped, and drained)."""
        if self.stopped is not None:
            return time.monotonic() - self.stopped_at > _DRAIN_SECONDS
        if self.should_cancel():
            self.stopped = "cancelled"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = "timed out"
        else:
            return False
        self.stopped_at = time.monotonic()
        self.stop()
        return False

    def _receive(self) -> bytes | None:
        """The next chunk, b"" at the end, None if nothing came within a poll interval."""
        # A TLS socket may hold decrypted bytes that select() cannot see.
        pending = getattr(self.sock, "pending", None)
        if not (pending is not None and pending()):
            readable, _, _ = select.select([self.sock], [], [], POLL_SECONDS)
            if not readable:
                return None
        try:
            return self.sock.recv(_CHUNK)
        except OSError as exc:
            if self.stopped is not None:
                return b""
            self.session.close()
            engine_error(exc, code="docker_exec", doing="reading the step's output")
