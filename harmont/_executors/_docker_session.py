"""
A chain's shell session in its container: the Docker transport of :mod:`._token_session`.

One ``exec`` of ``sh`` per chain, attached through the engine's API (stdin, stdout and
stderr over one hijacked connection, output multiplexed in frames of an 8-byte header:
stream, three zero bytes, big-endian length). :class:`_ExecSocket` writes the scripts to
the socket and splits what comes back into frames per stream; the token session does the
rest, so no ``docker exec`` is paid per step.

The socket is read on the calling thread with ``select`` in 64 KiB chunks, waking every
poll interval for the session to check cancellation and the deadline.
"""

from __future__ import annotations

import contextlib
import select
import struct
import time
from typing import TYPE_CHECKING, Any, Final, final

from harmont._executors._docker_engine import PLUGIN_NAME, engine_error
from harmont._executors._shell_session import SESSION_ARGV
from harmont._executors._token_session import TokenSession
from harmont.protocol import StdStream

if TYPE_CHECKING:
    import socket

    from docker import APIClient

__all__ = ["DockerSession"]

_CHUNK: Final = 65536
_HEADER: Final = struct.Struct(">BxxxL")
_STREAMS: Final = {1: StdStream.STDOUT, 2: StdStream.STDERR}
#: How long the socket may take to end once the container is being removed.
_DRAIN_SECONDS: Final = 10.0


@final
class DockerSession(TokenSession):
    """The ``sh`` of the chain in *container*, started in *workdir* on the first step."""

    def __init__(self, api: APIClient, container: str, *, workdir: str) -> None:
        super().__init__(
            lambda: _ExecSocket.start(api, container, workdir=workdir),
            session_cwd=workdir,
            plugin=PLUGIN_NAME,
            code="docker_exec",
            error=engine_error,
            drain_seconds=_DRAIN_SECONDS,
        )


@final
class _ExecSocket:
    """The hijacked connection of one attached exec, an ``ExecStream``."""

    def __init__(self, api: APIClient, exec_id: str, holder: Any) -> None:
        self._api = api
        self._exec_id = exec_id
        # docker-py hands back the SocketIO of the response (a socket for TLS): select
        # needs the socket itself. The response must stay referenced meanwhile.
        self._holder = holder
        self._socket: socket.socket = getattr(holder, "_sock", None) or holder
        self._frames = b""
        self._closed = False

    @classmethod
    def start(cls, api: APIClient, container: str, *, workdir: str) -> _ExecSocket:
        """Start ``sh`` in *container* and attach to it."""
        from docker.errors import DockerException

        try:
            exec_id = api.exec_create(
                container,
                list(SESSION_ARGV),
                stdin=True,
                stdout=True,
                stderr=True,
                tty=False,
                workdir=workdir,
            )["Id"]
            holder = api.exec_start(exec_id, socket=True)
        except (DockerException, OSError) as exc:
            engine_error(exc, code="docker_exec", doing="starting the chain's shell session")
        return cls(api, exec_id, holder)

    def send(self, data: bytes) -> None:
        """Write *data* to the shell's stdin."""
        self._socket.sendall(data)

    def receive(self, timeout: float) -> list[tuple[StdStream, bytes]] | None:
        """The frames completed within *timeout*; None at the end of the stream."""
        # A TLS socket may hold decrypted bytes that select() cannot see.
        pending = getattr(self._socket, "pending", None)
        if not (pending is not None and pending()):
            readable, _, _ = select.select([self._socket], [], [], timeout)
            if not readable:
                return []
        chunk = self._socket.recv(_CHUNK)
        return self.demultiplex(chunk) if chunk else None

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

    def exit_status(self) -> int | None:
        """The exec's exit code, waited for a moment: the engine records it as it ends."""
        for _ in range(100):
            state = self._api.exec_inspect(self._exec_id)
            if not state.get("Running") and state.get("ExitCode") is not None:
                return int(state["ExitCode"])
            time.sleep(0.01)
        return None

    def close(self) -> None:
        """Half-close, then close the response, its SocketIO and the socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        import socket  # here: a local build never opens an engine socket

        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_WR)
        # The response, the SocketIO docker-py returned and the socket each hold the
        # connection: all three are closed, whichever closed it first.
        for closable in (getattr(self._holder, "_response", None), self._holder, self._socket):
            if closable is not None:
                with contextlib.suppress(OSError, ValueError):
                    closable.close()
