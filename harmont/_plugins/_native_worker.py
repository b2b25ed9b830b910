"""
The worker process of an isolated native plugin: ``python -m harmont._plugins._native_worker PATH``.

It opens the library with the same :class:`~harmont._plugins._native_abi.Library` as
in-process loading, answers the frames of ``_isolated.py`` on its original stdin/stdout,
and relays every host call back to hm. It exits when hm closes the pipe, so it never
outlives hm, even when hm is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

from harmont._errors import PluginLoadError
from harmont._plugins._isolated import (
    CALL,
    FAILED,
    HOST,
    HOST_CALLS,
    HOST_REPLY,
    LOAD_FAILED,
    MANIFEST,
    RESULT,
    Channel,
    pack,
    unpack,
)
from harmont._plugins._native_abi import CAPABILITIES, CallFailed, CallResult, Library, Rejected

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main"]

_RESULT: Final = struct.Struct("<Bi")
_U64: Final = struct.Struct("<Q")
_INDEX: Final = {name: index for index, (name, _, _) in enumerate(HOST_CALLS)}


@final
class _Relay:
    """Sends host requests to hm and hands each reply to the thread that waits for it."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._lock = threading.Lock()
        self._next = 1
        self._waiting: dict[int, Future[bytes]] = {}

    def ask(self, call: int, name: str, args: tuple[object, ...]) -> object:
        _, arg_kinds, result_kind = HOST_CALLS[_INDEX[name]]
        future: Future[bytes] = Future()
        with self._lock:
            request = self._next
            self._next += 1
            self._waiting[request] = future
        body = _U64.pack(call) + bytes([_INDEX[name]]) + pack(arg_kinds, args)
        self._channel.send(HOST, request, body)
        reply = future.result()
        if reply[0]:
            raise Rejected(f"hm rejected {name}")
        return unpack(result_kind, reply[1:])[0] if result_kind else None

    def answer(self, request: int, body: bytes) -> None:
        with self._lock:
            future = self._waiting.pop(request, None)
        if future is not None:
            future.set_result(body)


@final
class _PipeHost:
    """The eleven host calls of one call, relayed to hm (a ``RawHost``)."""

    def __init__(self, relay: _Relay, call: int) -> None:
        self._relay = relay
        self._call = call

    def _ask(self, name: str, *args: object) -> object:
        return self._relay.ask(self._call, name, args)

    def log(self, level: int, message: bytes) -> None:
        self._ask("log", level, message)

    def kv_get(self, scope: int, key: bytes) -> bytes | None:
        value = self._ask("kv_get", scope, key)
        assert value is None or isinstance(value, bytes)
        return value

    def kv_set(self, scope: int, key: bytes, value: bytes) -> None:
        self._ask("kv_set", scope, key, value)

    def emit_event(self, event: bytes) -> None:
        self._ask("emit_event", event)

    def emit_step_log(self, stream: int, data: bytes) -> None:
        self._ask("emit_step_log", stream, data)

    def should_cancel(self) -> bool:
        return bool(self._ask("should_cancel"))

    def write_stdout(self, data: bytes) -> None:
        self._ask("write_stdout", data)

    def write_stderr(self, data: bytes) -> None:
        self._ask("write_stderr", data)

    def archive_read(self, archive_id: bytes, offset: int, max: int) -> bytes:
        value = self._ask("archive_read", archive_id, offset, max)
        assert isinstance(value, bytes)
        return value

    def archive_total_size(self, archive_id: bytes) -> int:
        value = self._ask("archive_total_size", archive_id)
        assert isinstance(value, int)
        return value

    def fs_read_config(self, rel_path: bytes) -> bytes | None:
        value = self._ask("fs_read_config", rel_path)
        assert value is None or isinstance(value, bytes)
        return value


def _reply(channel: Channel, ident: int, call: Callable[[], CallResult | None]) -> None:
    """Send what *call* returns, or why it has nothing to return: hm must never wait in vain."""
    try:
        result = call()
    except CallFailed as exc:
        channel.send(FAILED, ident, exc.code.encode() + b"\0" + exc.reason.encode())
        return
    status, payload = result if result is not None else (0, b"")
    channel.send(RESULT, ident, _RESULT.pack(result is not None, status) + payload)


def _serve_call(library: Library, channel: Channel, relay: _Relay, ident: int, body: bytes) -> None:
    capability = CAPABILITIES[body[0]]
    _reply(channel, ident, lambda: library.call(capability, _PipeHost(relay, ident), body[1:]))


def _protocol_streams() -> Channel:
    """
    Keep the original stdin/stdout for frames and point fds 0 and 1 elsewhere.

    A plugin that prints (printf, println!) would otherwise corrupt the frame stream:
    its fd 1 becomes hm's stderr, its fd 0 /dev/null.
    """
    frames_in = os.fdopen(os.dup(0), "rb")
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    return Channel(frames_in, frames_out)


def main(argv: list[str]) -> int:
    """Serve the plugin at ``argv[0]`` until hm closes the pipe."""
    # Ctrl-C reaches the whole process group; cancelling is hm's decision, not ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = _protocol_streams()
    try:
        library = Library(Path(argv[0]))
    except PluginLoadError as exc:
        channel.send(LOAD_FAILED, 0, exc.message.encode())
        return 5
    relay = _Relay(channel)
    while (frame := channel.receive()) is not None:
        kind, ident, body = frame
        if kind == HOST_REPLY:
            relay.answer(ident, body)
        elif kind == MANIFEST:
            _reply(channel, ident, library.manifest)
        elif kind == CALL:
            threading.Thread(
                target=_serve_call, args=(library, channel, relay, ident, body), daemon=True
            ).start()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Calls still running belong to a host that has gone: do not wait for them.
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(code)
