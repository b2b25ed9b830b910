"""
The per-call view of the host API that every plugin call receives (docs/plugins.md).

A context binds the shared :class:`~harmont._plugins._host.Host` to one plugin and, when
there is one, the run and step the call serves. That binding is what lets the host
attribute ``log`` and ``emit_step_log`` to their step and keep each plugin's keys out of
every other plugin's reach. The plugin comes from the
:class:`~harmont._plugins._host.HostBinding` a context is made with, never from an
argument, so a context cannot be made for another plugin out of one a plugin was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    import uuid
    from pathlib import Path

    from harmont._plugins._host import HostBinding
    from harmont.protocol import BuildEvent, KvScope, Level, StdStream

__all__ = ["PluginContext"]


@final
class PluginContext:
    """
    What a plugin call can ask of the host: the eleven host calls of docs/native-abi.md, typed.

    Made by :meth:`Host.context` for each call, cheap to create, immutable and safe to use
    from any thread (a plugin may hand it to worker threads of its own).
    """

    __slots__ = ("_host", "_plugin", "_run_id", "_step_id")

    _host: HostBinding
    _plugin: str
    _run_id: uuid.UUID | None
    _step_id: uuid.UUID | None

    def __init__(
        self,
        host: HostBinding,
        run_id: uuid.UUID | None,
        step_id: uuid.UUID | None,
    ) -> None:
        # Frozen: a context rebound to another plugin would act under that plugin's name.
        for name, value in (
            ("_host", host),
            ("_plugin", host.plugin),
            ("_run_id", run_id),
            ("_step_id", step_id),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PluginContext is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return (
            f"PluginContext(plugin={self._plugin!r}, run_id={self._run_id!r}, "
            f"step_id={self._step_id!r})"
        )

    @property
    def plugin(self) -> str:
        """The name of the plugin this call belongs to."""
        return self._plugin

    @property
    def run_id(self) -> uuid.UUID | None:
        """The run this call serves; None outside a build (``hm plugin ...``, plugin verbs)."""
        return self._run_id

    @property
    def step_id(self) -> uuid.UUID | None:
        """The step execution this call serves; None for calls not made for one step."""
        return self._step_id

    @property
    def project_root(self) -> Path | None:
        """
        The project of this call (``hm run -d DIR``); None outside a build. Python plugins
        only: what a report is written under.
        """
        return self._host.project_root if self._run_id is not None else None

    @property
    def planned_steps(self) -> tuple[str, ...]:
        """
        The keys of every step of the build's plan, in plan order; empty outside a build.
        Python plugins only. Events name only the steps that were queued: those missing
        from them never ran (skipped).
        """
        return self._host.planned_steps if self._run_id is not None else ()

    def log(self, level: Level, message: str) -> None:
        """
        Log *message* on the logger ``harmont.plugin.<name>`` (shown by ``hm -v``).

        Python logging has no trace level: ``Level.TRACE`` logs as debug.
        """
        self._host._log(self, level, message)

    def kv_get(self, scope: KvScope, key: str) -> bytes | None:
        """
        The value this plugin stored under *key* in *scope*, or None.

        ``PLUGIN`` scope persists across runs; ``BUILD`` lasts until the run ends and
        ``STEP`` until the step ends (for a context without a run or step, until the host
        closes). No plugin can see another plugin's keys in any scope.
        """
        return self._host._kv_get(self, scope, key)

    def kv_set(self, scope: KvScope, key: str, value: bytes) -> None:
        """Store *value* under *key* in *scope*; a ``PLUGIN`` write is committed on return."""
        self._host._kv_set(self, scope, key, value)

    def emit_event(self, event: BuildEvent) -> None:
        """Publish *event* on the run's event stream (dropped when nobody listens)."""
        self._host._emit(event)

    def emit_step_log(self, stream: StdStream, data: bytes) -> None:
        """
        Send output of this context's step: complete lines become ``StepLog`` events.

        Chunks may split lines anywhere; bytes after the last newline wait for the next
        chunk, or for the end of the step. Decoding is lossy UTF-8, and a trailing ``\\r``
        of a CRLF line ending is dropped. Without a step to attribute them to, the bytes
        are dropped with a warning.
        """
        self._host._step_log(self, stream, data)

    @property
    def keep_failed(self) -> bool:
        """
        Whether a failed step's environment must be kept for ``hm_open_shell``.

        True in ``hm run -i``: an executor then leaves a failed step's environment as its
        command left it, and releases it when the shell is done or the run ends. Python
        plugins only; the C ABI has no such call.
        """
        return self._host.keep_failed

    @property
    def secret_names(self) -> frozenset[str]:
        """
        The names of the run's secrets (``hm run --secret``); empty outside a build. Their
        values are in each step's env like any variable's: this lets an executor give them
        a channel of their own (the kubernetes runner's Secret object), and keep them out
        of whatever it would otherwise write the env into. Python plugins only.
        """
        return self._host.secret_names if self._run_id is not None else frozenset()

    def should_cancel(self) -> bool:
        """True once the run is cancelled; long-running work should poll it and stop."""
        return self._host._cancelled()

    def write_stdout(self, data: bytes) -> None:
        """Write *data* to the CLI's stdout and flush: a subcommand's user-facing output."""
        self._host._write(self._host.stdout, data)

    def write_stderr(self, data: bytes) -> None:
        """Write *data* to the CLI's stderr and flush."""
        self._host._write(self._host.stderr, data)

    def archive_read(self, archive_id: uuid.UUID, offset: int, max: int) -> bytes:
        """
        At most *max* bytes of archive *archive_id* starting at *offset*.

        Empty when *offset* is at or past the end or the archive is unknown.
        """
        archives = self._host.archives
        return b"" if archives is None else archives.read(archive_id, offset, max)

    def archive_total_size(self, archive_id: uuid.UUID) -> int:
        """The byte length of archive *archive_id*, 0 when it is unknown."""
        archives = self._host.archives
        return 0 if archives is None else archives.total_size(archive_id)

    def fs_read_config(self, rel_path: str) -> bytes | None:
        """
        The bytes of ``<project root>/.harmont/<rel_path>``, or None.

        None as well for an absolute path, a ``..`` component, a path that leaves
        ``.harmont`` through a symlink, anything but a regular file, or a read error.
        """
        return self._host._read_config(rel_path)
