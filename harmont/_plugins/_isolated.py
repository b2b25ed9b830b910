"""
Isolated native plugins: the library runs in a worker process, hm talks to it over pipes.

A native plugin that segfaults or spins takes down whatever process it lives in. In
isolation that process is a worker (``python -m harmont._plugins._native_worker PATH``)
that opens the library with the same ctypes code as in-process loading and relays the
same borsh payloads; its host calls travel back over the pipe and are served here by the
call's real :class:`~harmont._plugins._context.PluginContext`. A crash fails the calls in
flight with ``crashed``; a call past its time limit gets the worker killed and fails with
``timeout``; either way the next call starts a fresh worker.

Frames, both directions: ``u32 length`` then ``u8 kind, u64 id, body`` (little-endian).
Calls and their results share a call id; host requests and their replies a request id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import IO, TYPE_CHECKING, Final, final

from harmont._errors import PluginLoadError
from harmont._plugins._dispatch import ABANDON_GRACE_S, MANIFEST_TIMEOUT_MS, SLICE_S, Bound
from harmont._plugins._native_abi import CAPABILITIES, CallFailed, CallResult, RawHost, Rejected

if TYPE_CHECKING:
    import uuid
    from pathlib import Path

__all__ = [
    "CALL",
    "FAILED",
    "HOST",
    "HOST_CALLS",
    "HOST_REPLY",
    "LOAD_FAILED",
    "MANIFEST",
    "RESULT",
    "Channel",
    "Frame",
    "IsolatedBackend",
    "pack",
    "unpack",
]

_log = logging.getLogger("harmont.plugins.native")

# Frame kinds.
MANIFEST: Final = 1  # parent -> worker: read the manifest
CALL: Final = 2  # parent -> worker: u8 capability index, payload
RESULT: Final = 3  # worker -> parent: u8 present, i32 status, payload
HOST: Final = 4  # worker -> parent: u64 call id, u8 host call index, arguments
HOST_REPLY: Final = 5  # parent -> worker: u8 rejected, result
LOAD_FAILED: Final = 6  # worker -> parent, then it exits: why the library did not open
FAILED: Final = 7  # worker -> parent: the call has no result: code, NUL, reason

#: The host calls in hm_host order: name, argument kinds, result kind. Kinds: ``i`` an
#: integer (u64), ``b`` bytes, ``o`` optional bytes, ``""`` nothing.
HOST_CALLS: Final = (
    ("log", "ib", ""),
    ("kv_get", "ib", "o"),
    ("kv_set", "ibb", ""),
    ("emit_event", "b", ""),
    ("emit_step_log", "ib", ""),
    ("should_cancel", "", "i"),
    ("write_stdout", "b", ""),
    ("write_stderr", "b", ""),
    ("archive_read", "bii", "b"),
    ("archive_total_size", "b", "i"),
    ("fs_read_config", "b", "o"),
)

_HEAD: Final = struct.Struct("<IBQ")
_U64: Final = struct.Struct("<Q")
_U32: Final = struct.Struct("<I")
_RESULT: Final = struct.Struct("<Bi")

#: ``(kind, id, body)``
Frame = tuple[int, int, bytes]


def pack(kinds: str, values: tuple[object, ...]) -> bytes:
    """Encode ``values`` by ``kinds`` (see :data:`HOST_CALLS`)."""
    out = bytearray()
    for kind, value in zip(kinds, values, strict=True):
        if kind == "i":
            assert isinstance(value, int)
            out += _U64.pack(value)
        elif kind == "o" and value is None:
            out.append(0)
        else:
            if kind == "o":
                out.append(1)
            assert isinstance(value, bytes)
            out += _U32.pack(len(value)) + value
    return bytes(out)


def unpack(kinds: str, data: bytes) -> tuple[object, ...]:
    """Decode what :func:`pack` wrote."""
    values: list[object] = []
    pos = 0
    for kind in kinds:
        if kind == "i":
            values.append(_U64.unpack_from(data, pos)[0])
            pos += 8
            continue
        if kind == "o":
            pos += 1
            if data[pos - 1] == 0:
                values.append(None)
                continue
        (size,) = _U32.unpack_from(data, pos)
        values.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return tuple(values)


@final
class Channel:
    """Frames over a pair of byte streams; sending is serialised, receiving is one thread's."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = threading.Lock()

    def send(self, kind: int, ident: int, body: bytes = b"") -> None:
        """Send one frame; raises OSError once the other side is gone."""
        head = _HEAD.pack(len(body) + 9, kind, ident)
        with self._lock:
            self._writer.write(head + body)
            self._writer.flush()

    def receive(self) -> Frame | None:
        """The next frame, or None at end of stream."""
        head = self._reader.read(_HEAD.size)
        if len(head) < _HEAD.size:
            return None
        size, kind, ident = _HEAD.unpack(head)
        body = self._reader.read(size - 9)
        if len(body) < size - 9:
            return None
        return kind, ident, body

    def close(self) -> None:
        """Close both streams."""
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()


@final
class _Worker:
    """
    One worker process and the calls in flight in it.

    The reader thread only reads: each host request is served on a thread of its own,
    because serving one can mean calling into this same worker (a ``step_log`` hook of
    the plugin whose ``execute_step`` emitted the line) and waiting for a reply that only
    the reader can hand over. A plugin thread waits for each host reply before it sends
    another request, so requests of one thread still run in order.
    """

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(  # the worker module is ours; argv has no shell
            [sys.executable, "-m", "harmont._plugins._native_worker", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # A process group of its own, so that whatever the plugin forks goes with it
            # (a child left behind would hold hm's output open), and so that a Ctrl-C on
            # the terminal reaches hm, which decides what becomes of the worker.
            start_new_session=True,
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.channel = Channel(self.process.stdout, self.process.stdin)
        self.lock = threading.Lock()
        self.pending: dict[int, Future[Frame]] = {}
        self.hosts: dict[int, RawHost] = {}
        self.dead: str | None = None
        self.load_error: str | None = None
        #: Set once a call in it was abandoned: it takes no new calls and is killed once
        #: the calls still in flight have their answers.
        self.retired = False
        self.reader = threading.Thread(target=self._serve, name=f"hm-isolated-{path.name}")
        self.reader.daemon = True
        self.reader.start()

    def request(self, kind: int, ident: int, body: bytes, host: RawHost | None) -> Future[Frame]:
        future: Future[Frame] = Future()
        with self.lock:
            if self.dead is not None:
                raise CallFailed(self.dead, code="crashed")
            self.pending[ident] = future
            if host is not None:
                self.hosts[ident] = host
        try:
            self.channel.send(kind, ident, body)
        except OSError:
            self.process.wait()
            raise CallFailed(self._death(), code="crashed") from None
        return future

    def abandon(self, ident: int) -> None:
        """
        Give up on call *ident*: retire the worker, killed now if no other call is in it.

        The call may be stuck for good in the worker, where no thread can be stopped; the
        other calls in flight get their answers before the worker goes.
        """
        with self.lock:
            future = self.pending.pop(ident, None)
            self.hosts.pop(ident, None)
            self.retired = True
            idle = not self.pending
        if future is not None and not future.done():
            future.set_exception(CallFailed("the call was abandoned", code="timeout"))
        if idle:
            self.kill()

    def kill(self) -> None:
        """Kill the worker and everything the plugin started in it (its process group)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def _serve(self) -> None:
        while (frame := self.channel.receive()) is not None:
            kind, ident, body = frame
            if kind == HOST:
                threading.Thread(
                    target=self._host_call, args=(ident, body), name="hm-isolated-host", daemon=True
                ).start()
                continue
            if kind == LOAD_FAILED:
                self.load_error = body.decode("utf-8", "replace")
                continue
            with self.lock:
                future = self.pending.pop(ident, None)
                self.hosts.pop(ident, None)
                done = self.retired and not self.pending
            if future is not None:
                future.set_result(frame)
            if done:
                self.kill()
        # Whatever the plugin forked would outlive a worker that ended on its own. Killed
        # before the worker is reaped, while its group id cannot name another process;
        # the worker's own status is settled by now (its end closed the stream).
        self.kill()
        self.process.wait()
        reason = self._death()
        with self.lock:
            self.dead = reason
            orphans = list(self.pending.values())
            self.pending.clear()
            self.hosts.clear()
        for future in orphans:
            future.set_exception(CallFailed(reason, code="crashed"))
        self.channel.close()

    def _host_call(self, request: int, body: bytes) -> None:
        (call,) = _U64.unpack_from(body)
        name, arg_kinds, result_kind = HOST_CALLS[body[8]]
        with self.lock:
            host = self.hosts.get(call)
        rejected, result = 1, b""
        try:
            if host is None:
                raise Rejected(f"host call {name} for a call that is not in flight")
            value = getattr(host, name)(*unpack(arg_kinds, body[9:]))
            rejected = 0
            result = pack(result_kind, (value,)) if result_kind else b""
        except Rejected as exc:
            _log.debug("host call %s rejected: %s", name, exc)
        except Exception:
            _log.exception("host call %s failed", name)
        with contextlib.suppress(OSError):
            self.channel.send(HOST_REPLY, request, bytes([rejected]) + result)

    def _death(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            try:
                return f"its worker process died of {signal.Signals(-code).name}"
            except ValueError:
                return f"its worker process died of signal {-code}"
        return f"its worker process exited with status {code}"


@final
class IsolatedBackend:
    """
    A native plugin in a worker process of its own, as a ``Backend`` of ``_native.py``.

    Calls may come from several threads at once; they run concurrently in the worker. A
    call past its time limit fails alone: its worker takes no new calls (the next one
    starts a fresh worker) and is killed once the others in it have their answers.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._next_id = 1
        self._worker: _Worker | None = None
        #: Workers with an abandoned call, still answering the calls in flight in them.
        self._retired: list[_Worker] = []
        #: The calls made with a key (a step id), so that they can be abandoned.
        self._keyed: dict[uuid.UUID, tuple[_Worker, int]] = {}

    def _current(self) -> _Worker:
        with self._lock:
            if self._worker is None or self._worker.dead is not None or self._worker.retired:
                if self._worker is not None and self._worker.dead is None:
                    self._retired.append(self._worker)
                self._retired = [w for w in self._retired if w.dead is None]
                self._worker = _Worker(self._path)
            return self._worker

    def _ident(self) -> int:
        with self._lock:
            ident = self._next_id
            self._next_id += 1
            return ident

    def manifest(self) -> CallResult:
        worker = self._current()
        try:
            result = self._wait(MANIFEST, b"", None, Bound(MANIFEST_TIMEOUT_MS / 1000))
        except CallFailed as exc:
            reason = worker.load_error or f"native plugin {self._path}: {exc.reason}"
            raise PluginLoadError(f"{reason} (isolated)", source=str(self._path)) from exc
        assert result is not None  # the manifest slot is checked when the worker opens it
        return result

    def call(
        self,
        capability: str,
        raw: RawHost,
        payload: bytes,
        *,
        bound: Bound,
        key: uuid.UUID | None = None,
    ) -> CallResult | None:
        body = bytes([CAPABILITIES.index(capability)]) + payload
        return self._wait(CALL, body, raw, bound, key)

    def abandon(self, key: uuid.UUID) -> None:
        """Give up on the call made with *key*: it fails at once, its worker is retired."""
        with self._lock:
            found = self._keyed.pop(key, None)
        if found is not None:
            worker, ident = found
            worker.abandon(ident)

    def _wait(
        self,
        kind: int,
        body: bytes,
        raw: RawHost | None,
        bound: Bound,
        key: uuid.UUID | None = None,
    ) -> CallResult | None:
        worker = self._current()
        ident = self._ident()
        future = worker.request(kind, ident, body, raw)
        if key is not None:
            with self._lock:
                self._keyed[key] = (worker, ident)
        try:
            return self._answer(worker, ident, future, bound)
        finally:
            if key is not None:
                with self._lock:
                    self._keyed.pop(key, None)

    def _answer(
        self, worker: _Worker, ident: int, future: Future[Frame], bound: Bound
    ) -> CallResult | None:
        while (why := bound.passed()) is None:
            try:
                answer, _, reply = future.result(timeout=SLICE_S)
            except TimeoutError:
                continue
            if answer == FAILED:
                code, _, text = reply.partition(b"\0")
                raise CallFailed(text.decode("utf-8", "replace"), code=code.decode())
            present, status = _RESULT.unpack_from(reply)
            return (status, reply[_RESULT.size :]) if present else None
        worker.abandon(ident)
        if why == "timed out":
            reason = f"no answer within {bound.seconds:g}s"
        else:
            reason = f"no answer within {ABANDON_GRACE_S:g}s of being asked to stop"
        raise CallFailed(f"{reason}; the call was abandoned", code="timeout")

    def close(self) -> None:
        """Stop the workers, if any are running."""
        with self._lock:
            workers = [*self._retired, *([self._worker] if self._worker is not None else [])]
            self._worker, self._retired = None, []
        for worker in workers:
            worker.channel.close()
            worker.kill()
            worker.process.wait()
