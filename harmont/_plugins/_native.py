"""
Native plugins as ordinary pluggy plugins.

:class:`NativePlugin` implements the same hooks a Python plugin does, with the hookspecs'
own parameter names (pluggy binds arguments by the names in the implementation's code
object), so the registry, the scheduler and the CLI never ask what kind of plugin they
hold. Each hook encodes its argument to borsh, hands it to a :class:`Backend` (the library
in this process, or a worker process: ``_isolated.py``) and decodes what comes back;
this module is the seam where a native plugin's error payloads and garbage become
:class:`~harmont.PluginRuntimeError` naming the plugin.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, final

from harmont._background import Background
from harmont._errors import DecodeError, PluginLoadError, PluginRuntimeError, SettingsError
from harmont._plugins._dispatch import MANIFEST_TIMEOUT_MS, Bound
from harmont._plugins._native_abi import (
    HM_ERR,
    HM_OK,
    CallFailed,
    CallResult,
    Library,
    RawHost,
    Rejected,
)
from harmont.hookspecs import hookimpl
from harmont.protocol import (
    BuildEvent,
    ExitInfo,
    HookOutcome,
    KvScope,
    Level,
    LifecycleHookSpec,
    PluginError,
    PluginManifest,
    StdStream,
    StepResult,
    from_borsh,
    to_borsh,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput, HookEvent, SubcommandInput

__all__ = [
    "Backend",
    "ContextHost",
    "Isolation",
    "NativePlugin",
    "isolation_for",
    "load_native",
    "validate_native",
]

_log = logging.getLogger("harmont.plugins.native")

#: How a native plugin runs: inside hm, or in a worker process of its own.
Isolation = Literal["in-process", "process"]

_LEVELS: Final = tuple(Level)
_SCOPES: Final = tuple(KvScope)


class Backend(Protocol):
    """Where a native plugin's calls run: :class:`Library` here, or an isolated worker."""

    def manifest(self) -> CallResult: ...

    def call(
        self,
        capability: str,
        raw: RawHost,
        payload: bytes,
        *,
        bound: Bound,
        key: uuid.UUID | None = None,
    ) -> CallResult | None: ...

    def abandon(self, key: uuid.UUID) -> None: ...

    def close(self) -> None: ...


@final
class _InProcess:
    """A :class:`Library` as a :class:`Backend`; a time limit cannot be enforced here."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def manifest(self) -> CallResult:
        return self._library.manifest()

    def call(
        self,
        capability: str,
        raw: RawHost,
        payload: bytes,
        *,
        bound: Bound,
        key: uuid.UUID | None = None,
    ) -> CallResult | None:
        # The registry bounds calls on threads of its own (it stops waiting, the call
        # runs on); a native call in this process cannot be interrupted, which is what
        # isolation is for.
        del bound, key
        return self._library.call(capability, raw, payload)

    def abandon(self, key: uuid.UUID) -> None:
        """Nothing can be done: the call runs on in this process, on its own thread."""

    def close(self) -> None:
        """Nothing to do: a library stays loaded for the life of the process."""


@final
class ContextHost:
    """The byte-level host calls of the C ABI, served by a :class:`PluginContext`."""

    __slots__ = ("_context",)

    def __init__(self, context: PluginContext) -> None:
        self._context = context

    def log(self, level: int, message: bytes) -> None:
        # An unknown level byte logs as error; bad UTF-8 is replaced.
        resolved = _LEVELS[level] if level < len(_LEVELS) else Level.ERROR
        self._context.log(resolved, message.decode("utf-8", "replace"))

    def kv_get(self, scope: int, key: bytes) -> bytes | None:
        return self._context.kv_get(_scope(scope), _text(key, "key"))

    def kv_set(self, scope: int, key: bytes, value: bytes) -> None:
        self._context.kv_set(_scope(scope), _text(key, "key"), value)

    def emit_event(self, event: bytes) -> None:
        try:
            decoded: BuildEvent = from_borsh(BuildEvent, event)
        except DecodeError as exc:
            raise Rejected(f"emit_event: {exc}") from exc
        self._context.emit_event(decoded)

    def emit_step_log(self, stream: int, data: bytes) -> None:
        # As harmont_plugin.h says: 0 is stdout, anything else stderr.
        self._context.emit_step_log(StdStream.STDOUT if stream == 0 else StdStream.STDERR, data)

    def should_cancel(self) -> bool:
        return self._context.should_cancel()

    def write_stdout(self, data: bytes) -> None:
        self._context.write_stdout(data)

    def write_stderr(self, data: bytes) -> None:
        self._context.write_stderr(data)

    def archive_read(self, archive_id: bytes, offset: int, max: int) -> bytes:
        return self._context.archive_read(uuid.UUID(bytes=archive_id), offset, max)

    def archive_total_size(self, archive_id: bytes) -> int:
        return self._context.archive_total_size(uuid.UUID(bytes=archive_id))

    def fs_read_config(self, rel_path: bytes) -> bytes | None:
        return self._context.fs_read_config(_text(rel_path, "path"))


def _scope(byte: int) -> KvScope:
    if byte >= len(_SCOPES):
        raise Rejected(f"unknown KV scope byte {byte} (expected 0-{len(_SCOPES) - 1})")
    return _SCOPES[byte]


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(f"{what} is not UTF-8: {exc}") from exc


@final
class NativePlugin:
    """
    A native library as a pluggy plugin object, with a Python plugin's hooks.

    Made by :func:`load_native`, which has already read and decoded the manifest; the
    registry validates it like any other.
    """

    def __init__(self, backend: Backend, *, path: Path, isolation: Isolation) -> None:
        self.path = path
        self.isolation = isolation
        self._backend = backend
        self._manifest = self._read_manifest()
        self.name = self._manifest.name
        self._hook_specs = tuple(
            c for c in self._manifest.capabilities if isinstance(c, LifecycleHookSpec)
        )

    def __repr__(self) -> str:
        return f"<NativePlugin {self.name!r} from {str(self.path)!r} ({self.isolation})>"

    def close(self) -> None:
        """Stop the plugin's worker process, if it has one."""
        self._backend.close()

    def _read_manifest(self) -> PluginManifest:
        where = f"native plugin {self.path}"
        try:
            status, payload = self._backend.manifest()
        except CallFailed as exc:
            raise PluginLoadError(f"{where}: {exc.reason}", source=str(self.path)) from exc
        if status == HM_ERR:
            failure = _decode_error(payload)
            raise PluginLoadError(
                f"{where}: refused to load: {failure.message}", source=str(self.path)
            )
        if status != HM_OK:
            raise PluginLoadError(
                f"{where}: manifest returned status {status}, expected 0 (ok) or 1 (error)",
                source=str(self.path),
            )
        try:
            return from_borsh(PluginManifest, payload)
        except DecodeError as exc:
            raise PluginLoadError(
                f"{where}: its manifest does not decode: {exc}", source=str(self.path)
            ) from exc

    # -- the hooks: parameter names exactly as in harmont.hookspecs --------------------

    @hookimpl
    def hm_plugin_manifest(self) -> PluginManifest:
        """The manifest, decoded once at load."""
        return self._manifest

    @hookimpl
    def hm_execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """
        ``execute_step``: ExecutorInput in, StepResult out.

        Unbounded here: :meth:`Registry.execute_step <harmont.Registry.execute_step>` bounds
        every runner alike, and gives up on a call through :meth:`abandon_step`.
        """
        result: StepResult = self._call(
            "execute_step",
            context,
            executor_input,
            StepResult,
            Bound(None),
            key=executor_input.step_id,
        )
        return result

    def abandon_step(self, step_id: uuid.UUID) -> None:
        """
        Give up on the ``execute_step`` call of *step_id*: it fails at once, and in
        isolation its worker is retired (killed once its other calls have ended).
        """
        self._backend.abandon(step_id)

    @hookimpl
    def hm_on_hook_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        """``on_hook_event``: HookEvent in, HookOutcome out, bounded by the hook's timeout."""
        timeout_ms = max(
            (
                spec.timeout_ms
                for spec in self._hook_specs
                if spec.phase is hook_event.phase and hook_event.event.KIND in _kinds(spec)
            ),
            default=None,
        )
        bound = Bound(None if timeout_ms is None else timeout_ms / 1000)
        outcome: HookOutcome = self._call("on_hook_event", context, hook_event, HookOutcome, bound)
        return outcome

    @hookimpl
    def hm_run_subcommand(
        self, context: PluginContext, subcommand_input: SubcommandInput
    ) -> ExitInfo:
        """``run_subcommand``: SubcommandInput in, ExitInfo out."""
        result: ExitInfo = self._call(
            "run_subcommand", context, subcommand_input, ExitInfo, Bound(None)
        )
        return result

    def _call(
        self,
        capability: str,
        context: PluginContext,
        argument: object,
        result_type: object,
        bound: Bound,
        *,
        key: uuid.UUID | None = None,
    ) -> Any:  # the decoded result_type: a class or a union alias (HookOutcome)
        try:
            reply = self._backend.call(
                capability, ContextHost(context), to_borsh(argument), bound=bound, key=key
            )
        except CallFailed as exc:
            raise self._error(capability, exc.reason, exc.code) from exc
        if reply is None:
            raise self._error(
                capability, "this plugin does not implement this capability", "not_implemented"
            )
        status, payload = reply
        if status == HM_OK:
            try:
                return from_borsh(result_type, payload)
            except DecodeError as exc:
                raise self._error(
                    capability,
                    f"its {_type_name(result_type)} result does not decode: {exc}",
                    "bad_payload",
                ) from exc
        if status == HM_ERR:
            failure = _decode_error(payload)
            hint = f"see {failure.doc_url}" if failure.doc_url else None
            raise self._error(capability, failure.message, failure.code, hint=hint)
        raise self._error(
            capability,
            f"returned status {status}, expected 0 (ok) or 1 (error)",
            "bad_payload",
        )

    def _error(
        self, capability: str, message: str, code: str, *, hint: str | None = None
    ) -> PluginRuntimeError:
        return PluginRuntimeError(
            message, plugin=self.name, capability=capability, code=code, hint=hint
        )


def _kinds(spec: LifecycleHookSpec) -> set[str]:
    return {kind.value for kind in spec.events}


def _type_name(tp: object) -> str:
    return getattr(tp, "__name__", None) or str(tp).rsplit(".", 1)[-1]


def _decode_error(payload: bytes) -> PluginError:
    """Decode an error payload; one that does not decode is still reported, as text."""
    try:
        return from_borsh(PluginError, payload)
    except DecodeError as exc:
        text = payload[:200].decode("utf-8", "replace")
        return PluginError(
            code="bad_payload",
            message=f"its error payload does not decode ({exc}); raw text: {text!r}",
        )


def load_native(path: Path, *, isolation: Isolation = "in-process") -> NativePlugin:
    """
    Open the native plugin at ``path`` and read its manifest.

    :param isolation: ``"process"`` runs the library in a worker process of its own, so
        a crash or a hang costs a call, not hm.
    :raises PluginLoadError: the file is not a loadable plugin for this host (cannot be
        opened, lacks the entry symbol, a different api_version, a bad manifest, no
        manifest within :data:`~harmont._plugins._dispatch.MANIFEST_TIMEOUT_MS`).
    """
    # Absolute, so the worker, dlopen and every message name the file that was meant.
    path = path.absolute()
    if isolation == "in-process":
        return _load_in_process(path)
    from harmont._plugins._isolated import IsolatedBackend

    backend = IsolatedBackend(path)
    try:
        return NativePlugin(backend, path=path, isolation=isolation)
    except BaseException:
        backend.close()  # a refused manifest must not leave a worker behind
        raise


def _load_in_process(path: Path) -> NativePlugin:
    """
    Open the library and read its manifest on a thread that loading stops waiting for.

    Both run the library's own code (its constructors, its manifest function), which may
    never return; the library then stays loaded, stuck, but `hm` carries on without it.
    """
    job = Background(
        lambda: NativePlugin(_InProcess(Library(path)), path=path, isolation="in-process"),
        name=f"hm-load-{path.name}",
    )
    if not job.wait(MANIFEST_TIMEOUT_MS / 1000):
        raise PluginLoadError(
            f"native plugin {path}: no manifest within {MANIFEST_TIMEOUT_MS / 1000:g}s",
            source=str(path),
            hint="run it isolated (HM_NATIVE_ISOLATION=process) to have a hung load killed",
        )
    return job.result()


def validate_native(path: Path, *, source: str) -> PluginManifest:
    """
    Load the library at ``path`` in a worker process and validate its manifest.

    What `hm plugin install` checks before copying a library where hm will load it: a
    library that crashes while loading costs the worker, not hm.

    :param source: what the user named (a path or URL), for messages.
    :raises PluginLoadError: it is not a valid plugin for this host.
    """
    from harmont._plugins._manifest import validate_manifest

    plugin = load_native(path, isolation="process")
    try:
        manifest = plugin.hm_plugin_manifest()
        return validate_manifest(manifest, name=manifest.name, source=source)
    finally:
        plugin.close()


def isolation_for(name: str, *, env: Mapping[str, str], project_root: Path) -> Isolation:
    """
    Decide where the native plugin ``name`` runs.

    ``HM_NATIVE_ISOLATION`` (``process`` or ``in-process``) applies to every native
    plugin; otherwise ``[plugins.NAME] isolation = "..."`` in the settings files
    (``harmont._settings``: the user's and the project's config.toml, and the older
    ``.harmont/plugins.toml``); otherwise in process. ``name`` is the library's file name
    without its extension, which `hm plugin install` makes the manifest name.

    :raises PluginLoadError: an unknown isolation value or an unreadable settings file.
    """
    from harmont._settings import PLUGIN_FIELDS, load_settings

    try:
        settings = load_settings(PLUGIN_FIELDS, project_root=project_root, env=env)
    except SettingsError as exc:
        raise PluginLoadError(exc.message, plugin=name) from exc
    chosen = settings.get(f"plugins.{name}.isolation")
    return "process" if chosen is not None and chosen.value == "process" else "in-process"
