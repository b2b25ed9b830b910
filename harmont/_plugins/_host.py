"""
The host: per-process state behind the host API, shared by every plugin of a registry.

There are two kinds (docs/plugins.md): the run host, built by the orchestrator with the run's
event sink, cancellation event, archive store and project root; and :meth:`Host.noop` for
CLI dispatch, which has no listener and is never cancelled. Both keep plugin-scope keys
persistently under the state directory. Plugins never see a host, only the
:class:`~harmont._plugins._context.PluginContext` made for each call, which reaches the
host through a :class:`HostBinding` for its plugin alone: nothing a context holds makes
contexts, so no plugin acts under another's name through the API. (A Python plugin runs
in hm's process and is not sandboxed: it can open any file hm can, other plugins' key
stores included. The binding keeps honest plugins apart; it is no wall.)
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, Self, final

from harmont._plugins._context import PluginContext
from harmont._plugins._kv import MemoryKv, SqliteKv
from harmont._plugins._step_output import MAX_LINE_BYTES, LineSplitter, StepLogBatch
from harmont.protocol import KvScope, Level, StdStream

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable
    from types import TracebackType

    from harmont._orchestrator._archive import ArchiveStore
    from harmont._secrets import Masker, StreamMasker
    from harmont.protocol import BuildEvent

__all__ = ["MAX_LINE_BYTES", "Host", "HostBinding", "default_state_dir"]

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


@final
class Host:
    """
    The state every :class:`PluginContext` of one registry reads and writes.

    :param project_root: the repository root; ``fs_read_config`` reads under its
        ``.harmont/`` (the current directory when None).
    :param state_dir: where plugin-scope keys persist (default :func:`default_state_dir`).
    :param emit: the run's event sink; None drops events.
    :param emit_log_batch: where step output goes, a batch of lines at a time (see
        :mod:`harmont._plugins._step_output`); None sends it to *emit*, one ``StepLog``
        per line.
    :param archives: the run's archive store; None makes every archive unknown.
    :param cancel: set when the run is cancelled; None means never.
    :param stdout: where ``write_stdout`` goes (default: the process's stdout at write time).
    :param stderr: where ``write_stderr`` goes (default: the process's stderr at write time).
    :param masker: hides the run's secrets in step output, emitted events and plugin logs.
    :param keep_failed: executors keep failed steps' environments for a debug shell
        (``hm run -i``; :attr:`PluginContext.keep_failed`).
    :param secret_names: the names of the run's secrets (:attr:`PluginContext.secret_names`).
    """

    def __init__(
        self,
        *,
        project_root: Path | None = None,
        state_dir: Path | None = None,
        emit: Callable[[BuildEvent], None] | None = None,
        emit_log_batch: Callable[[StepLogBatch], None] | None = None,
        archives: ArchiveStore | None = None,
        cancel: threading.Event | None = None,
        stdout: BinaryIO | None = None,
        stderr: BinaryIO | None = None,
        masker: Masker | None = None,
        keep_failed: bool = False,
        secret_names: frozenset[str] = frozenset(),
    ) -> None:
        self._project_root = project_root
        self.keep_failed: Final = keep_failed
        self.secret_names: Final = secret_names
        self._masker = masker if masker is not None and masker.active else None
        self._unmasked: dict[tuple[uuid.UUID, StdStream], StreamMasker] = {}
        self._state_dir = default_state_dir() if state_dir is None else state_dir
        self._sink = emit
        self._log_sink = emit_log_batch
        self._archives = archives
        self._cancel = cancel
        self._stdout = stdout
        self._stderr = stderr
        self._persistent = SqliteKv(self._state_dir / "kv")
        self._build_kv = MemoryKv()
        self._step_kv = MemoryKv()
        self._lines_lock = threading.Lock()
        self._lines: dict[tuple[uuid.UUID, StdStream], LineSplitter] = {}
        self._write_lock = threading.Lock()
        self._bindings_lock = threading.Lock()
        self._bindings: dict[str, HostBinding] = {}
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
        binding = self._bindings.get(plugin)  # once made, a binding never changes
        if binding is None:
            with self._bindings_lock:
                binding = self._bindings.get(plugin)
                if binding is None:
                    binding = self._bindings[plugin] = HostBinding(self, plugin)
        return PluginContext(binding, run_id, step_id)

    def end_step(self, step_id: uuid.UUID) -> None:
        """
        Close a step: emit its unfinished output lines, drop its step-scope keys.

        Call it once the step's executor has returned, whatever the outcome.
        """
        # A step that printed nothing (most) has no masker or splitter to look for.
        if self._unmasked:
            self._flush_masked(step_id)
        if self._lines:
            with self._lines_lock:
                buffers = [self._lines.pop((step_id, stream), None) for stream in StdStream]
            for buffer in buffers:
                if buffer is not None:
                    buffer.flush(self._emit_logs)
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
            buffer.flush(self._emit_logs)
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

    def _emit_logs(self, batch: StepLogBatch) -> None:
        """Send step output on, as a batch or line events: made of chunks already masked."""
        if self._log_sink is not None:
            self._log_sink(batch)
        elif self._sink is not None:
            for event in batch.events():
                self._sink(event)

    def _step_log(self, caller: PluginContext, stream: StdStream, data: bytes) -> None:
        # Every byte a step prints enters the run here, as the executor's chunk: the one
        # place to transform step output before any renderer, hook or result sees it.
        if self._sink is None and self._log_sink is None:
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
                buffer = self._lines[(step_id, stream)] = LineSplitter(step_id, stream)
        if self._masker is None:
            buffer.feed(data, self._emit_logs)
            return
        # Secrets go before any line, batch, event, hook or result is made of the chunk.
        # The masker and the line splitter advance together, under the splitter's lock.
        with buffer.lock:
            buffer.feed(self._mask_chunk(step_id, stream, data), self._emit_logs)

    def _mask_chunk(self, step_id: uuid.UUID, stream: StdStream, data: bytes) -> bytes:
        assert self._masker is not None
        with self._lines_lock:
            masker = self._unmasked.get((step_id, stream))
            if masker is None:
                masker = self._unmasked[(step_id, stream)] = self._masker.stream()
        return masker.feed(data)

    def _flush_masked(self, step_id: uuid.UUID) -> None:
        """Release what the stream maskers of *step_id* held back, into its line splitters."""
        for stream in StdStream:
            with self._lines_lock:
                masker = self._unmasked.pop((step_id, stream), None)
                buffer = self._lines.get((step_id, stream))
            if masker is not None and buffer is not None:
                with buffer.lock:
                    buffer.feed(masker.flush(), self._emit_logs)

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


@final
class HostBinding:
    """
    The host API as one plugin's contexts reach it: everything it does is that plugin's.

    It forwards to its :class:`Host` with the calling context, whose plugin is this
    binding's, and has no way to make a context, for this plugin or another.
    """

    __slots__ = ("__host", "plugin")

    __host: Host
    #: The plugin every call through this binding is attributed to.
    plugin: str

    def __init__(self, host: Host, plugin: str) -> None:
        object.__setattr__(self, "_HostBinding__host", host)
        object.__setattr__(self, "plugin", plugin)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"HostBinding is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return f"HostBinding(plugin={self.plugin!r})"

    @property
    def stdout(self) -> BinaryIO:
        """The stream ``write_stdout`` writes to."""
        return self.__host.stdout

    @property
    def stderr(self) -> BinaryIO:
        """The stream ``write_stderr`` writes to."""
        return self.__host.stderr

    @property
    def archives(self) -> ArchiveStore | None:
        """The run's archive store, if any."""
        return self.__host.archives

    @property
    def keep_failed(self) -> bool:
        """Whether executors keep failed steps' environments for a debug shell."""
        return self.__host.keep_failed

    @property
    def secret_names(self) -> frozenset[str]:
        """The names of the run's secrets (:attr:`PluginContext.secret_names`)."""
        return self.__host.secret_names

    @property
    def project_root(self) -> Path | None:
        """The repository root of the run, if any (:attr:`PluginContext.project_root`)."""
        return self.__host.project_root

    @property
    def planned_steps(self) -> tuple[str, ...]:
        """The keys of the run's planned steps (:attr:`PluginContext.planned_steps`)."""
        return self.__host.planned_steps

    def _log(self, caller: PluginContext, level: Level, message: str) -> None:
        self.__host._log(caller, level, message)

    def _kv_get(self, caller: PluginContext, scope: KvScope, key: str) -> bytes | None:
        return self.__host._kv_get(caller, scope, key)

    def _kv_set(self, caller: PluginContext, scope: KvScope, key: str, value: bytes) -> None:
        self.__host._kv_set(caller, scope, key, value)

    def _emit(self, event: BuildEvent) -> None:
        self.__host._emit(event)

    def _step_log(self, caller: PluginContext, stream: StdStream, data: bytes) -> None:
        self.__host._step_log(caller, stream, data)

    def _cancelled(self) -> bool:
        return self.__host._cancelled()

    def _write(self, stream: BinaryIO, data: bytes) -> None:
        self.__host._write(stream, data)

    def _read_config(self, rel_path: str) -> bytes | None:
        return self.__host._read_config(rel_path)
