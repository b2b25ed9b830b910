"""
The C ABI of ``harmont_sdk/native/include/harmont_plugin.h``, mirrored in ctypes.

Two halves: :class:`Library` opens a plugin and calls its functions with raw borsh bytes;
:class:`HostTable` is the ``hm_host`` table of callbacks a plugin calls back into.
Both work on bytes only; turning them into protocol objects is the adapter's job
(``_native.py``), so the isolated worker, which only relays bytes, shares this module.

ctypes rather than cffi, measured by ``bench/plugin_calls.py``: a bare call through cffi's
ABI mode is about twice as fast (1.4 us against 3.0 us here), but the foreign call is a
fifth of an in-process execute_step (about 15 us, most of it encoding, decoding and the
registry), so cffi would gain about a tenth end to end, for a compiled dependency and a
second copy of the header in cffi's cdef dialect. ctypes releases the GIL around every
call through a ``CFUNCTYPE`` pointer and takes it again in every callback, from whatever
thread the plugin calls on; that is the whole of the threading story on this side.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias, final

from harmont._errors import PluginLoadError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "API_VERSION",
    "CAPABILITIES",
    "ENTRY_SYMBOL",
    "HM_ERR",
    "HM_OK",
    "MAX_BUFFER_BYTES",
    "CallFailed",
    "CallResult",
    "HostTable",
    "Library",
    "RawHost",
    "Rejected",
]

_log = logging.getLogger("harmont.plugins.native")

#: ``HM_PLUGIN_API_VERSION``; equal to :data:`harmont.protocol.API_VERSION` (tested).
API_VERSION: Final = 2
#: ``HM_PLUGIN_ENTRY_SYMBOL``.
ENTRY_SYMBOL: Final = "hm_plugin_entry_v1"

#: The longest buffer a plugin may hand over, either way. No payload of the protocol comes
#: near it; a length past it is garbage (an uninitialised ``len``), and copying that many
#: bytes would read far past the plugin's memory.
MAX_BUFFER_BYTES: Final = 1 << 30

HM_OK: Final = 0
HM_ERR: Final = 1
_HM_SOME: Final = 1
_HM_NONE: Final = 0
_HM_EINVAL: Final = -1

_u8p = ctypes.POINTER(ctypes.c_uint8)
_size = ctypes.c_size_t


class _Buf(ctypes.Structure):
    _fields_ = (("ptr", _u8p), ("len", _size))


class _Ctx(ctypes.Structure):
    _fields_ = (("host", ctypes.c_void_p), ("host_data", ctypes.c_void_p))


_CtxP = ctypes.POINTER(_Ctx)
_BufP = ctypes.POINTER(_Buf)
_Uuid = ctypes.c_uint8 * 16

# The host functions' signatures, in hm_host's field order.
_LOG = ctypes.CFUNCTYPE(None, _CtxP, ctypes.c_uint8, _u8p, _size)
_KV_GET = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP, ctypes.c_uint8, _u8p, _size, _BufP)
_KV_SET = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP, ctypes.c_uint8, _u8p, _size, _u8p, _size)
_EMIT_EVENT = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP, _u8p, _size)
_EMIT_STEP_LOG = ctypes.CFUNCTYPE(None, _CtxP, ctypes.c_uint8, _u8p, _size)
_SHOULD_CANCEL = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP)
_WRITE = ctypes.CFUNCTYPE(None, _CtxP, _u8p, _size)
_ARCHIVE_READ = ctypes.CFUNCTYPE(
    ctypes.c_int32, _CtxP, ctypes.POINTER(_Uuid), ctypes.c_uint64, ctypes.c_uint64, _BufP
)
_ARCHIVE_TOTAL_SIZE = ctypes.CFUNCTYPE(ctypes.c_uint64, _CtxP, ctypes.POINTER(_Uuid))
_FS_READ_CONFIG = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP, _u8p, _size, _BufP)
_FREE = ctypes.CFUNCTYPE(None, _u8p, _size)


class _Host(ctypes.Structure):
    _fields_ = (
        ("api_version", ctypes.c_uint32),
        ("struct_size", ctypes.c_uint32),
        ("log", _LOG),
        ("kv_get", _KV_GET),
        ("kv_set", _KV_SET),
        ("emit_event", _EMIT_EVENT),
        ("emit_step_log", _EMIT_STEP_LOG),
        ("should_cancel", _SHOULD_CANCEL),
        ("write_stdout", _WRITE),
        ("write_stderr", _WRITE),
        ("archive_read", _ARCHIVE_READ),
        ("archive_total_size", _ARCHIVE_TOTAL_SIZE),
        ("fs_read_config", _FS_READ_CONFIG),
        ("free", _FREE),
    )


# The plugin functions' signatures, in hm_plugin's field order.
_MANIFEST = ctypes.CFUNCTYPE(ctypes.c_int32, _BufP)
_CAPABILITY = ctypes.CFUNCTYPE(ctypes.c_int32, _CtxP, ctypes.c_char_p, _size, _BufP)


class _Plugin(ctypes.Structure):
    _fields_ = (
        ("api_version", ctypes.c_uint32),
        ("struct_size", ctypes.c_uint32),
        ("manifest", _MANIFEST),
        ("execute_step", _CAPABILITY),
        ("on_hook_event", _CAPABILITY),
        ("run_subcommand", _CAPABILITY),
        ("free", _FREE),
    )


#: A plugin call's outcome: ``(status, payload)``, status HM_OK or HM_ERR.
CallResult = tuple[int, bytes]


class CallFailed(Exception):
    """
    Raised by a backend when a call got no usable answer: its worker died or overran, or
    what it returned cannot be read.

    ``code`` is ``crashed``, ``timeout`` or ``bad_payload``; the adapter turns it into a
    :class:`~harmont.PluginRuntimeError` naming the plugin.
    """

    def __init__(self, reason: str, *, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Rejected(Exception):
    """Raised by a :class:`RawHost` method whose arguments are invalid (``HM_EINVAL``)."""


class RawHost(Protocol):
    """
    The eleven host calls at the byte level, as the C ABI passes them.

    Implemented over a real :class:`~harmont._plugins._context.PluginContext` in the host
    process, and over the pipe in an isolated worker. A method raises :class:`Rejected`
    for arguments the ABI reports as ``HM_EINVAL``.
    """

    def log(self, level: int, message: bytes) -> None: ...
    def kv_get(self, scope: int, key: bytes) -> bytes | None: ...
    def kv_set(self, scope: int, key: bytes, value: bytes) -> None: ...
    def emit_event(self, event: bytes) -> None: ...
    def emit_step_log(self, stream: int, data: bytes) -> None: ...
    def should_cancel(self) -> bool: ...
    def write_stdout(self, data: bytes) -> None: ...
    def write_stderr(self, data: bytes) -> None: ...
    def archive_read(self, archive_id: bytes, offset: int, max: int) -> bytes: ...
    def archive_total_size(self, archive_id: bytes) -> int: ...
    def fs_read_config(self, rel_path: bytes) -> bytes | None: ...


# What the callbacks receive; typeshed's ctypes._Pointer is only for annotations.
_CtxPtr: TypeAlias = "ctypes._Pointer[_Ctx]"
_BufPtr: TypeAlias = "ctypes._Pointer[_Buf]"
_BytePtr: TypeAlias = "ctypes._Pointer[ctypes.c_uint8]"
_UuidPtr: TypeAlias = "ctypes._Pointer[ctypes.Array[ctypes.c_uint8]]"


def _too_long(length: int) -> str:
    return f"the plugin returned a buffer length of {length} bytes, more than it can have"


def _bytes(ptr: _BytePtr, length: int) -> bytes:
    if length > MAX_BUFFER_BYTES:
        raise Rejected(_too_long(length).replace("returned", "passed"))
    return ctypes.string_at(ptr, length) if length else b""


@final
class HostTable:
    """
    The ``hm_host`` table and the calls in flight it serves.

    Each call gets a context whose ``host_data`` is a call id; the callbacks look the id
    up to find the :class:`RawHost` of that call. Buffers handed to the plugin are kept
    alive here, by address, until the plugin gives them back to ``free``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[int, RawHost] = {}
        self._next_id = 1
        self._buffers: dict[int, ctypes.Array[ctypes.c_char]] = {}
        self._table = self._build()
        self._address = ctypes.addressof(self._table)

    def open_call(self, raw: RawHost) -> _Ctx:
        """Register a call's host and return the ``hm_ctx`` to pass with it."""
        with self._lock:
            call_id = self._next_id
            self._next_id += 1
            self._calls[call_id] = raw
        return _Ctx(self._address, call_id)

    def close_call(self, ctx: _Ctx) -> None:
        """Forget a call: its context is invalid from now on."""
        with self._lock:
            self._calls.pop(ctx.host_data or 0, None)

    def _raw(self, ctx: _CtxPtr) -> RawHost:
        raw = self._calls.get(ctx.contents.host_data or 0)
        if raw is None:
            raise Rejected("a host function was called with a context that is not live")
        return raw

    def _give(self, data: bytes, out: _BufPtr) -> int:
        buffer = ctypes.create_string_buffer(data, len(data) or 1)
        address = ctypes.addressof(buffer)
        with self._lock:
            self._buffers[address] = buffer
        out.contents.ptr = ctypes.cast(buffer, _u8p)
        out.contents.len = len(data)
        return _HM_SOME

    def _free(self, ptr: _BytePtr, _length: int) -> None:
        address = ctypes.cast(ptr, ctypes.c_void_p).value
        with self._lock:
            self._buffers.pop(address or 0, None)

    def _build(self) -> _Host:
        # The CFUNCTYPE objects must outlive every call: the table holds them.
        return _Host(
            api_version=API_VERSION,
            struct_size=ctypes.sizeof(_Host),
            log=_LOG(_guarded(None, self._log)),
            kv_get=_KV_GET(_guarded(_HM_EINVAL, self._kv_get)),
            kv_set=_KV_SET(_guarded(_HM_EINVAL, self._kv_set)),
            emit_event=_EMIT_EVENT(_guarded(_HM_EINVAL, self._emit_event)),
            emit_step_log=_EMIT_STEP_LOG(_guarded(None, self._emit_step_log)),
            should_cancel=_SHOULD_CANCEL(_guarded(0, self._should_cancel)),
            write_stdout=_WRITE(_guarded(None, self._write_stdout)),
            write_stderr=_WRITE(_guarded(None, self._write_stderr)),
            archive_read=_ARCHIVE_READ(_guarded(_HM_EINVAL, self._archive_read)),
            archive_total_size=_ARCHIVE_TOTAL_SIZE(_guarded(0, self._archive_total_size)),
            fs_read_config=_FS_READ_CONFIG(_guarded(_HM_EINVAL, self._fs_read_config)),
            free=_FREE(self._free),
        )

    # -- the callbacks, one per host function --------------------------------------------

    def _log(self, ctx: _CtxPtr, level: int, message: _BytePtr, length: int) -> None:
        self._raw(ctx).log(level, _bytes(message, length))

    def _kv_get(self, ctx: _CtxPtr, scope: int, key: _BytePtr, length: int, out: _BufPtr) -> int:
        value = self._raw(ctx).kv_get(scope, _bytes(key, length))
        return _HM_NONE if value is None else self._give(value, out)

    def _kv_set(  # noqa: PLR0917 -- mirrors hm_host.kv_set, called positionally by C
        self, ctx: _CtxPtr, scope: int, key: _BytePtr, length: int, value: _BytePtr, size: int
    ) -> int:
        self._raw(ctx).kv_set(scope, _bytes(key, length), _bytes(value, size))
        return _HM_NONE

    def _emit_event(self, ctx: _CtxPtr, event: _BytePtr, length: int) -> int:
        self._raw(ctx).emit_event(_bytes(event, length))
        return _HM_NONE

    def _emit_step_log(self, ctx: _CtxPtr, stream: int, data: _BytePtr, length: int) -> None:
        self._raw(ctx).emit_step_log(stream, _bytes(data, length))

    def _should_cancel(self, ctx: _CtxPtr) -> int:
        return 1 if self._raw(ctx).should_cancel() else 0

    def _write_stdout(self, ctx: _CtxPtr, data: _BytePtr, length: int) -> None:
        self._raw(ctx).write_stdout(_bytes(data, length))

    def _write_stderr(self, ctx: _CtxPtr, data: _BytePtr, length: int) -> None:
        self._raw(ctx).write_stderr(_bytes(data, length))

    def _archive_read(
        self, ctx: _CtxPtr, archive_id: _UuidPtr, offset: int, limit: int, out: _BufPtr
    ) -> int:
        data = self._raw(ctx).archive_read(bytes(archive_id.contents), offset, limit)
        return self._give(data, out)

    def _archive_total_size(self, ctx: _CtxPtr, archive_id: _UuidPtr) -> int:
        return self._raw(ctx).archive_total_size(bytes(archive_id.contents))

    def _fs_read_config(self, ctx: _CtxPtr, path: _BytePtr, length: int, out: _BufPtr) -> int:
        data = self._raw(ctx).fs_read_config(_bytes(path, length))
        return _HM_NONE if data is None else self._give(data, out)


def _guarded(fallback: int | None, fn: Callable[..., int | None]) -> Callable[..., int | None]:
    """
    Wrap a callback so that no exception crosses back into C.

    ctypes would print such an exception and hand the plugin an unspecified value.
    :class:`Rejected` is the plugin's mistake (``HM_EINVAL``); anything else is ours, and
    is logged with its traceback while the plugin gets ``fallback``.
    """

    def callback(*args: object) -> int | None:
        try:
            return fn(*args)
        except Rejected as exc:
            _log.debug("host call %s rejected: %s", fn.__name__, exc)
            return _HM_EINVAL if fallback is not None else None
        except Exception:
            _log.exception("host call %s failed", fn.__name__)
            return fallback

    return callback


#: The capability calls by name, as they appear in hm_plugin and in error messages.
CAPABILITIES: Final = ("execute_step", "on_hook_event", "run_subcommand")


@final
class Library:
    """
    An opened native plugin: its ``hm_plugin`` table and a host table for its calls.

    Opening runs the handshake of harmont_plugin.h: resolve the entry symbol, call it,
    then peek at ``api_version`` before touching anything else in the table. The
    library is never unloaded (``dlclose`` under a plugin's running threads is a crash
    waiting to happen), so a plugin lives as long as the process.
    """

    def __init__(self, path: Path) -> None:
        # Absolute, always: a bare file name would send dlopen searching its library path
        # (LD_LIBRARY_PATH, the system's directories) and load some other library.
        path = path.absolute()
        self.path = path
        where = f"native plugin {path}"
        try:
            dll = ctypes.CDLL(str(path))
        except OSError as exc:
            raise PluginLoadError(f"{where}: cannot open: {exc}", source=str(path)) from exc
        try:
            entry = getattr(dll, ENTRY_SYMBOL)
        except AttributeError:
            raise PluginLoadError(
                f"{where}: no entry symbol '{ENTRY_SYMBOL}'",
                source=str(path),
                hint="build it with the harmont-plugin crate's hm_plugin! macro, or define "
                "HM_PLUGIN_ENTRY from harmont_plugin.h",
            ) from None
        entry.argtypes = (ctypes.c_uint32,)
        entry.restype = ctypes.POINTER(ctypes.c_uint32)
        head = entry(API_VERSION)
        if not head:
            raise PluginLoadError(f"{where}: refused to load (its entry returned NULL)")
        # The peek: the first u32 only, before any other field is trusted.
        found = head[0]
        if found != API_VERSION:
            raise PluginLoadError(
                f"{where}: api_version mismatch (plugin: {found}, host: {API_VERSION})",
                source=str(path),
                hint=f"rebuild it against a harmont SDK for API version {API_VERSION}",
            )
        if head[1] < ctypes.sizeof(_Plugin):
            raise PluginLoadError(
                f"{where}: its hm_plugin table is {head[1]} bytes, "
                f"expected at least {ctypes.sizeof(_Plugin)}",
                source=str(path),
            )
        table = ctypes.cast(head, ctypes.POINTER(_Plugin)).contents
        if not table.manifest or not table.free:
            raise PluginLoadError(
                f"{where}: its hm_plugin table lacks manifest or free", source=str(path)
            )
        self._dll = dll
        self._manifest = table.manifest
        self._free = table.free
        # Reading a CFUNCTYPE field builds a new object each time: read each once.
        self._calls = {name: getattr(table, name) for name in CAPABILITIES}
        self._host = HostTable()

    def manifest(self) -> CallResult:
        """
        Call ``manifest``: the borsh PluginManifest, or a borsh PluginError.

        :raises CallFailed: the buffer it returned is impossibly long.
        """
        out = _Buf()
        status = self._manifest(ctypes.byref(out))
        return status, self._take(out)

    def call(self, capability: str, raw: RawHost, payload: bytes) -> CallResult | None:
        """
        Call ``capability`` with ``payload``, serving its host calls with ``raw``.

        :returns: ``(status, payload)``, or None when the plugin leaves that slot NULL.
        :raises CallFailed: the buffer it returned is impossibly long.
        """
        fn = self._calls[capability]
        if not fn:
            return None
        ctx = self._host.open_call(raw)
        out = _Buf()
        try:
            status = fn(ctypes.byref(ctx), payload, len(payload), ctypes.byref(out))
        finally:
            self._host.close_call(ctx)
        return status, self._take(out)

    def _take(self, out: _Buf) -> bytes:
        if not out.ptr:
            return b""
        if out.len > MAX_BUFFER_BYTES:
            # Not even given back to free: a plugin's free trusts the length too.
            raise CallFailed(_too_long(out.len), code="bad_payload")
        try:
            return ctypes.string_at(out.ptr, out.len)
        finally:
            self._free(out.ptr, out.len)
