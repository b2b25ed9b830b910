"""
The host: per-process state behind the host API, shared by every plugin of a registry.

There are two kinds (docs/plugins.md): the run host, built by the orchestrator with the run's
event sink, cancellation event, archive store and project root; and :meth:`Host.noop` for
CLI dispatch, which has no listener and is never cancelled. Both keep plugin-scope keys
persistently under the state directory. Plugins never see a host, only the
:class:`~harmont._plugins._context.PluginContext` made for each call.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, Self, final

from harmont._plugins._context import PluginContext
from harmont._plugins._kv import MemoryKv, SqliteKv
from harmont.protocol import KvScope, Level, StdStream, StepLog

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable
    from types import TracebackType

    from harmont._orchestrator._archive import ArchiveStore
    from harmont._secrets import Masker, StreamMasker
    from harmont.protocol import BuildEvent

__all__ = ["Host", "default_state_dir"]

#: A line longer than this is emitted in pieces, so output without newlines (a progress
#: bar, a binary dump) cannot grow a buffer without bound.
MAX_LINE_BYTES: Final = 64 * 1024

_LEVELS: Final = {
    Level.TRACE: logging.DEBUG,
    Level.DEBUG: logging.DEBUG,
    Level.INFO: logging.INFO,
    Level.WARN: logging.WARNING,
    Level.ERROR: logging.ERROR,
}

_log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/harmont``, or ``~/.local/state/harmont`` (XDG ignores relative values)."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "harmont"


def _utf8_cut(data: bytearray, limit: int) -> int:
    # Back off to a character boundary so a split never mangles a multi-byte character.
    cut = limit
    while cut > limit - 3 and cut > 0 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return cut if cut > 0 else limit


class _LineBuffer:
    """The unfinished line of one (step, stream); emits under its lock to keep order."""

    def __init__(self, step_id: uuid.UUID, stream: StdStream) -> None:
        self.lock = threading.RLock()
        self._step_id = step_id
        self._stream = stream
        self._pending = bytearray()

    def feed(self, data: bytes, emit: Callable[[BuildEvent], None]) -> None:
        with self.lock:
            self._pending += data
            while True:
                newline = self._pending.find(b"\n")
                if newline < 0:
                    if len(self._pending) <= MAX_LINE_BYTES:
                        return
                    cut = _utf8_cut(self._pending, MAX_LINE_BYTES)
                    line, end = self._pending[:cut], cut
                else:
                    line, end = self._pending[:newline], newline + 1
                    if line.endswith(b"\r"):
                        line = line[:-1]
                del self._pending[:end]
                self._send(bytes(line), emit)

    def flush(self, emit: Callable[[BuildEvent], None]) -> None:
        with self.lock:
            if self._pending:
                line, self._pending = bytes(self._pending), bytearray()
                self._send(line, emit)

    def _send(self, line: bytes, emit: Callable[[BuildEvent], None]) -> None:
        emit(
            StepLog(
                step_id=self._step_id,
                stream=self._stream,
                line=line.decode("utf-8", "replace"),
                ts=datetime.now(UTC),
            )
        )


@final
class Host:
    """
    The state every :class:`PluginContext` of one registry reads and writes.

    :param project_root: the repository root; ``fs_read_config`` reads under its
        ``.harmont/`` (the current directory when None).
    :param state_dir: where plugin-scope keys persist (default :func:`default_state_dir`).
    :param emit: the run's event sink; None drops events.
    :param archives: the run's archive store; None makes every archive unknown.
    :param cancel: set when the run is cancelled; None means never.
    :param stdout: where ``write_stdout`` goes (default: the process's stdout at write time).
    :param stderr: where ``write_stderr`` goes (default: the process's stderr at write time).
    :param masker: hides the run's secrets in step output, emitted events and plugin logs.
    :param keep_failed: executors keep failed steps' environments for a debug shell
        (``hm run -i``; :attr:`PluginContext.keep_failed`).
    """

    def __init__(
        self,
        *,
        project_root: Path | None = None,
        state_dir: Path | None = None,
        emit: Callable[[BuildEvent], None] | None = None,
        archives: ArchiveStore | None = None,
        cancel: threading.Event | None = None,
        stdout: BinaryIO | None = None,
        stderr: BinaryIO | None = None,
        masker: Masker | None = None,
        keep_failed: bool = False,
    ) -> None:
        self._project_root = project_root
        self.keep_failed: Final = keep_failed
        self._masker = masker if masker is not None and masker.active else None
        self._unmasked: dict[tuple[uuid.UUID, StdStream], StreamMasker] = {}
        self._state_dir = default_state_dir() if state_dir is None else state_dir
        self._sink = emit
        self._archives = archives
        self._cancel = cancel
        self._stdout = stdout
        self._stderr = stderr
        self._persistent = SqliteKv(self._state_dir / "kv")
        self._build_kv = MemoryKv()
        self._step_kv = MemoryKv()
        self._lines_lock = threading.Lock()
        self._lines: dict[tuple[uuid.UUID, StdStream], _LineBuffer] = {}
        self._write_lock = threading.Lock()
        #: Set by the run once its plan is made (:attr:`PluginContext.planned_steps`).
        self.planned_steps: tuple[str, ...] = ()

    @classmethod
    def noop(cls, *, state_dir: Path | None = None) -> Self:
        """The host of CLI dispatch (``hm plugin ...``, plugin verbs): no listener, no cancel."""
        return cls(state_dir=state_dir)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def project_root(self) -> Path | None:
        """The repository root given at construction."""
        return self._project_root

    @property
    def state_dir(self) -> Path:
        """The directory holding persistent plugin state."""
        return self._state_dir

    @property
    def archives(self) -> ArchiveStore | None:
        """The run's archive store, if any."""
        return self._archives

    @property
    def stdout(self) -> BinaryIO:
        """The stream ``write_stdout`` writes to."""
        return sys.stdout.buffer if self._stdout is None else self._stdout

    @property
    def stderr(self) -> BinaryIO:
        """The stream ``write_stderr`` writes to."""
        return sys.stderr.buffer if self._stderr is None else self._stderr

    def kv_path(self, plugin: str) -> Path:
        """The sqlite file holding *plugin*'s persistent keys (``hm plugin remove`` drops it)."""
        return self._persistent.path_for(plugin)

    def context(
        self,
        plugin: str,
        *,
        run_id: uuid.UUID | None = None,
        step_id: uuid.UUID | None = None,
    ) -> PluginContext:
        """The context for one call of *plugin*, serving *run_id* and *step_id* if given."""
        return PluginContext(self, plugin, run_id, step_id)

    def end_step(self, step_id: uuid.UUID) -> None:
        """
        Close a step: emit its unfinished output lines, drop its step-scope keys.

        Call it once the step's executor has returned, whatever the outcome.
        """
        self._flush_masked(step_id)
        with self._lines_lock:
            buffers = [self._lines.pop((step_id, stream), None) for stream in StdStream]
        for buffer in buffers:
            if buffer is not None:
                buffer.flush(self._deliver)
        self._step_kv.drop(step_id)

    def end_build(self, run_id: uuid.UUID) -> None:
        """Close a run: drop its build-scope keys."""
        self._build_kv.drop(run_id)

    def close(self) -> None:
        """Emit every unfinished line, forget in-memory keys, close the persistent store."""
        for step_id in {step_id for step_id, _ in list(self._unmasked)}:
            self._flush_masked(step_id)
        with self._lines_lock:
            buffers, self._lines = list(self._lines.values()), {}
        for buffer in buffers:
            buffer.flush(self._deliver)
        self._build_kv.clear()
        self._step_kv.clear()
        self._persistent.close()

    # The host API proper. PluginContext forwards here with itself as the caller.

    def _log(self, caller: PluginContext, level: Level, message: str) -> None:
        if self._masker is not None:
            message = self._masker.mask(message)
        logging.getLogger(f"harmont.plugin.{caller.plugin}").log(
            _LEVELS[level],
            "%s",
            message,
            extra={
                "harmont_plugin": caller.plugin,
                "harmont_run_id": caller.run_id,
                "harmont_step_id": caller.step_id,
            },
        )

    def _kv_get(self, caller: PluginContext, scope: KvScope, key: str) -> bytes | None:
        if scope is KvScope.PLUGIN:
            return self._persistent.get(caller.plugin, key)
        if scope is KvScope.BUILD:
            return self._build_kv.get(caller.run_id, caller.plugin, key)
        return self._step_kv.get(caller.step_id, caller.plugin, key)

    def _kv_set(self, caller: PluginContext, scope: KvScope, key: str, value: bytes) -> None:
        if scope is KvScope.PLUGIN:
            self._persistent.set(caller.plugin, key, value)
        elif scope is KvScope.BUILD:
            self._build_kv.set(caller.run_id, caller.plugin, key, value)
        else:
            self._step_kv.set(caller.step_id, caller.plugin, key, value)

    def _emit(self, event: BuildEvent) -> None:
        """An event a plugin emits: its strings may quote a secret."""
        if self._masker is not None:
            event = self._masker.mask_fields(event)
        self._deliver(event)

    def _deliver(self, event: BuildEvent) -> None:
        """Send *event* on; step output lines come here already masked, as chunks."""
        if self._sink is not None:
            self._sink(event)

    def _step_log(self, caller: PluginContext, stream: StdStream, data: bytes) -> None:
        if self._sink is None:
            return
        step_id = caller.step_id
        if step_id is None:
            _log.warning(
                "plugin '%s': emit_step_log outside a step, %d bytes of %s dropped",
                caller.plugin,
                len(data),
                stream.value,
            )
            return
        with self._lines_lock:
            buffer = self._lines.get((step_id, stream))
            if buffer is None:
                buffer = self._lines[(step_id, stream)] = _LineBuffer(step_id, stream)
        if self._masker is None:
            buffer.feed(data, self._deliver)
            return
        # Every byte a step prints enters the run here: secrets go before any line, event,
        # hook or result is made of it. The masker and the line buffer advance together.
        with buffer.lock:
            buffer.feed(self._mask_chunk(step_id, stream, data), self._deliver)

    def _mask_chunk(self, step_id: uuid.UUID, stream: StdStream, data: bytes) -> bytes:
        assert self._masker is not None
        with self._lines_lock:
            masker = self._unmasked.get((step_id, stream))
            if masker is None:
                masker = self._unmasked[(step_id, stream)] = self._masker.stream()
        return masker.feed(data)

    def _flush_masked(self, step_id: uuid.UUID) -> None:
        """Release what the stream maskers of *step_id* held back, into its line buffers."""
        for stream in StdStream:
            with self._lines_lock:
                masker = self._unmasked.pop((step_id, stream), None)
                buffer = self._lines.get((step_id, stream))
            if masker is not None and buffer is not None:
                with buffer.lock:
                    buffer.feed(masker.flush(), self._deliver)

    def _cancelled(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def _write(self, stream: BinaryIO, data: bytes) -> None:
        # One lock for both streams: on a terminal they interleave, and a chunk must not
        # be cut by another thread's chunk.
        with self._write_lock:
            stream.write(data)
            stream.flush()

    def _read_config(self, rel_path: str) -> bytes | None:
        relative = Path(rel_path)
        if not rel_path or "\0" in rel_path or relative.is_absolute() or ".." in relative.parts:
            return None
        root = Path.cwd() if self._project_root is None else self._project_root
        try:
            base = (root / ".harmont").resolve(strict=True)
            candidate = (base / relative).resolve(strict=True)
            # is_file before reading: a FIFO planted in .harmont would block the read.
            if not candidate.is_relative_to(base) or not candidate.is_file():
                return None
            return candidate.read_bytes()
        except (OSError, RuntimeError):
            # RuntimeError: Path.resolve on a symlink loop (Python 3.11).
            return None
