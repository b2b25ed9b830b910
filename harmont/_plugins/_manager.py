"""
The plugin registry: one per run, built by :func:`load_registry`, never a module global.

It wraps a pluggy ``PluginManager`` and adds what pluggy leaves to its host: manifests,
an index of who owns which runner and verb, conflicts, a record of plugins that could
not load, and calls that go to exactly one plugin. A plugin object is anything pluggy
accepts (a module, an instance of a class with ``@hookimpl`` methods); a native library
is wrapped into such an object by :mod:`._native`, so nothing here branches on the kind of
a plugin except loading and the listing.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final, Self, TypeVar, cast, final

import attrs
import pluggy

from harmont import hookspecs
from harmont._errors import (
    EngineUnavailable,
    PluginConflict,
    PluginLoadError,
    PluginRuntimeError,
    UnknownRunner,
    UsageError,
)
from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_TIMED_OUT
from harmont._plugins._discovery import (
    Candidate,
    PluginKind,
    entry_point_candidates,
    native_candidates,
    native_dirs,
)
from harmont._plugins._dispatch import (
    MANIFEST_TIMEOUT_MS,
    Abandoned,
    Interrupted,
    Watch,
    call_bounded,
    call_plugin,
    call_with_timeout,
    real_interrupt,
)
from harmont._plugins._manifest import shown_name, validate_manifest
from harmont.protocol import (
    HookAbort,
    HookContinue,
    HookEventKind,
    HookPhase,
    LifecycleHookSpec,
    PluginManifest,
    StepExecutorSpec,
    StepResult,
    SubcommandSpec,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterable, Mapping

    from harmont._orchestrator._trace import Tracer
    from harmont._plugins._context import PluginContext
    from harmont._plugins._host import Host
    from harmont._plugins._native import NativePlugin
    from harmont.protocol import ExecutorInput, ExitInfo, HookEvent, HookOutcome, SubcommandInput

__all__ = [
    "BUILTIN_VERBS",
    "PluginInfo",
    "PluginStatus",
    "Registry",
    "load_registry",
]

_log = logging.getLogger("harmont.plugins")

_T = TypeVar("_T")

#: Top-level words owned by `hm` itself; a plugin verb that shadows one is a conflict.
BUILTIN_VERBS: Final[frozenset[str]] = frozenset(
    {
        "run",
        "render",
        "pipelines",
        "plugin",
        "version",
        "cache",
        "debug",
        "help",
        "init",
        "config",
        "trace",
    }
)

#: Which hook each capability kind needs the plugin to implement.
_REQUIRED_HOOK: Final = {
    StepExecutorSpec: "hm_execute_step",
    LifecycleHookSpec: "hm_on_hook_event",
    SubcommandSpec: "hm_run_subcommand",
}


class PluginStatus(enum.Enum):
    """Where a discovered plugin ended up."""

    #: Imported, manifest valid, capabilities indexed.
    LOADED = "loaded"
    #: Failed to import, to register or to validate; ``PluginInfo.error`` says why.
    BROKEN = "broken"
    #: Named by ``-p no:NAME`` or ``HM_DISABLE_PLUGINS``; never imported.
    DISABLED = "disabled"


@attrs.frozen(kw_only=True)
class PluginInfo:
    """One row of `hm plugin list`: a plugin as the registry sees it, whatever its state."""

    name: str
    #: From the manifest; for a plugin that did not load, its distribution's version.
    version: str | None
    kind: PluginKind
    status: PluginStatus
    #: ``module:attr (distribution version)`` or a library path.
    source: str
    builtin: bool = False
    distribution: str | None = None
    #: One short summary per capability: ``runner:local``, ``verb:junit``, ``hook:after``.
    capabilities: tuple[str, ...] = ()
    #: One line saying why a plugin is broken.
    error: str | None = None
    manifest: PluginManifest | None = attrs.field(default=None, repr=False)

    def to_data(self) -> dict[str, object]:
        """
        The plugin as plain JSON-ready data, which `hm plugin list --format json` prints.

        Capabilities are the manifest's own (``{"kind": "step_executor", "runner": ...}``),
        for programs to read; the short summaries (``runner:docker``) are for people. A
        plugin that did not load has no manifest, hence no capabilities.
        """
        # Here, not at the top: the JSON codec pulls in cattrs, which `hm --help` skips.
        from harmont.protocol import to_dict

        capabilities = self.manifest.capabilities if self.manifest is not None else ()
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "status": self.status.value,
            "builtin": self.builtin,
            "source": self.source,
            "distribution": self.distribution,
            "capabilities": [to_dict(capability) for capability in capabilities],
            "error": self.error,
        }


@attrs.frozen(kw_only=True)
class _Loaded:
    plugin: object
    info: PluginInfo
    manifest: PluginManifest


@final
class Registry:
    """
    The plugins of one run, their manifests and who owns what.

    Built by :func:`load_registry`; tests and embedders add in-process plugins with
    :meth:`register`. Calls go to the one plugin that owns a runner or a verb; lifecycle
    hooks stack and run in registration order.
    """

    def __init__(self, *, host: Host | None = None) -> None:
        self._pm: Final = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._host = host
        #: Close the host with the registry only if the registry made it.
        self._owns_host = host is None
        self._loaded: dict[str, _Loaded] = {}
        self._infos: list[PluginInfo] = []
        self._runners: dict[str, str] = {}
        self._default_runner: str | None = None
        self._verbs: dict[str, tuple[str, SubcommandSpec]] = {}
        self._hooks: list[tuple[str, LifecycleHookSpec]] = []
        #: One-plugin callers, keyed by (hook, id(plugin)); reset when a plugin registers.
        self._callers: dict[tuple[str, int], pluggy.HookCaller] = {}
        #: Native plugins this registry loaded itself, so it stops their workers on close.
        self._owned: list[NativePlugin] = []
        #: Disabled plugin name -> how to undo it ("dropping `-p no:NAME`"...).
        self._disabled_by: dict[str, str] = {}
        #: Records every call to one plugin when the run is traced (`hm run --trace`).
        self.tracer: Tracer | None = None

    # -- loading -----------------------------------------------------------------------

    def register(
        self,
        plugin: object,
        *,
        name: str | None = None,
        source: str = "registered in-process",
        builtin: bool = False,
    ) -> PluginManifest:
        """
        Register ``plugin``, validate its manifest and index its capabilities.

        :param name: the name the manifest must carry; by default, whatever it declares.
        :returns: the validated manifest.
        :raises PluginLoadError: the plugin is invalid; it is left unregistered.
        :raises PluginConflict: it claims a runner, verb or default already taken.
        """
        candidate = Candidate(name=name or "", kind="python", source=source, builtin=builtin)
        return self._add(candidate, plugin).manifest

    def _add(self, candidate: Candidate, plugin: object) -> _Loaded:
        key = f"{candidate.name or type(plugin).__name__}@{id(plugin)}"
        try:
            self._pm.register(plugin, name=key)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginLoadError(
                f"plugin '{shown_name(candidate.name)}': {exc}",
                plugin=shown_name(candidate.name),
                source=candidate.source,
            ) from exc
        try:
            loaded = self._validate(candidate, plugin)
            self._index(loaded)
        except BaseException:
            self._pm.unregister(plugin)
            raise
        self._loaded[loaded.info.name] = loaded
        self._infos.append(loaded.info)
        self._callers.clear()
        return loaded

    def _add_owned(self, candidate: Candidate, plugin: NativePlugin) -> None:
        """:meth:`_add` a plugin the registry loaded itself: closed on refusal, or by close()."""
        try:
            self._add(candidate, plugin)
        except BaseException:
            plugin.close()
            raise
        self._owned.append(plugin)

    def _validate(self, candidate: Candidate, plugin: object) -> _Loaded:
        label = shown_name(candidate.name or type(plugin).__name__)
        hooks = {c.name: c for c in self._pm.get_hookcallers(plugin) or ()}
        unknown = sorted(name for name, caller in hooks.items() if not caller.has_spec())
        if unknown:
            raise PluginLoadError(
                f"plugin '{label}': implements unknown hook '{unknown[0]}'",
                plugin=label,
                source=candidate.source,
                hint="hook names are listed in harmont.hookspecs",
            )
        if "hm_plugin_manifest" not in hooks:
            raise PluginLoadError(
                f"plugin '{label}': does not implement hm_plugin_manifest",
                plugin=label,
                source=candidate.source,
            )
        # Bounded like a hook: a plugin that never answers is broken, not a hung `hm`.
        raw = call_with_timeout(
            lambda: call_plugin(
                self._caller("hm_plugin_manifest", plugin),
                plugin=label,
                capability="hm_plugin_manifest",
                expected=object,
            ),
            timeout_ms=MANIFEST_TIMEOUT_MS,
            plugin=label,
            capability="hm_plugin_manifest",
        )
        manifest = validate_manifest(
            raw,
            name=candidate.name or getattr(raw, "name", label),
            source=candidate.source,
        )
        if manifest.name in self._loaded:
            raise PluginLoadError(
                f"plugin '{manifest.name}': another plugin of that name is already loaded "
                f"from {self._loaded[manifest.name].info.source}",
                plugin=manifest.name,
                source=candidate.source,
            )
        for capability in manifest.capabilities:
            hook = _REQUIRED_HOOK[type(capability)]
            if hook not in hooks:
                raise PluginLoadError(
                    f"plugin '{manifest.name}': declares a {capability.KIND} capability "
                    f"but does not implement {hook}",
                    plugin=manifest.name,
                    source=candidate.source,
                )
        info = PluginInfo(
            name=manifest.name,
            version=manifest.version,
            kind=candidate.kind,
            status=PluginStatus.LOADED,
            source=candidate.source,
            builtin=candidate.builtin,
            distribution=candidate.distribution,
            capabilities=tuple(_summary(c) for c in manifest.capabilities),
            manifest=manifest,
        )
        return _Loaded(plugin=plugin, info=info, manifest=manifest)

    def _index(self, loaded: _Loaded) -> None:
        """Claim the plugin's runners and verbs; on a conflict, claim nothing."""
        name = loaded.manifest.name
        runners: dict[str, str] = {}
        verbs: dict[str, tuple[str, SubcommandSpec]] = {}
        default = self._default_runner
        hooks: list[tuple[str, LifecycleHookSpec]] = []
        for capability in loaded.manifest.capabilities:
            if isinstance(capability, StepExecutorSpec):
                owner = self._runners.get(capability.runner)
                if owner is not None:
                    raise PluginConflict(f"runner:{capability.runner}", owner, name)
                runners[capability.runner] = name
                if capability.default:
                    if default is not None:
                        raise PluginConflict("default-runner", self._runners[default], name)
                    default = capability.runner
            elif isinstance(capability, SubcommandSpec):
                if capability.verb in BUILTIN_VERBS:
                    raise PluginConflict(f"verb:{capability.verb}", "hm", name)
                claimed = self._verbs.get(capability.verb)
                if claimed is not None:
                    raise PluginConflict(f"verb:{capability.verb}", claimed[0], name)
                verbs[capability.verb] = (name, capability)
            else:
                hooks.append((name, capability))
        self._runners.update(runners)
        self._default_runner = default
        self._verbs.update(verbs)
        self._hooks.extend(hooks)

    def _disable(self, candidate: Candidate, name: str, undo: str) -> None:
        """Record *candidate*, whose plugin is *name*, as disabled; *undo* enables it."""
        self._record(candidate, PluginStatus.DISABLED, None)
        self._disabled_by[name] = undo

    def _record(self, candidate: Candidate, status: PluginStatus, error: str | None) -> None:
        self._infos.append(
            PluginInfo(
                # Found, not validated: a file or entry-point name may be anything.
                name=shown_name(candidate.name),
                version=candidate.distribution_version,
                kind=candidate.kind,
                status=status,
                source=candidate.source,
                builtin=candidate.builtin,
                distribution=candidate.distribution,
                error=error,
            )
        )

    # -- lookups -----------------------------------------------------------------------

    @property
    def host(self) -> Host:
        """The host API the plugins of this registry talk to (a no-op host by default)."""
        if self._host is None:
            from harmont._plugins._host import Host

            self._host = Host.noop()
        return self._host

    def close(self) -> None:
        """
        Stop the worker processes of the native plugins the registry loaded, and close
        the host if the registry created it.

        What the caller brought stays open: plugins given to :meth:`register` and a host
        passed in. Safe to call more than once; a plugin called after close starts a new
        worker, which the next close stops.
        """
        for plugin in reversed(self._owned):
            plugin.close()
        if self._owns_host and self._host is not None:
            self._host.close()
            self._host = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The underlying pluggy manager, for tracing and hook-call monitoring."""
        return self._pm

    def plugins(self) -> list[PluginInfo]:
        """Every discovered plugin in load order, loaded or not."""
        return list(self._infos)

    def manifests(self) -> list[PluginManifest]:
        """The manifests of the loaded plugins, in load order."""
        return [loaded.manifest for loaded in self._loaded.values()]

    def manifest(self, name: str) -> PluginManifest:
        """
        Return the manifest of the loaded plugin ``name``.

        :raises UsageError: no loaded plugin has that name.
        """
        loaded = self._loaded.get(name)
        if loaded is None:
            info = next((i for i in self._infos if i.name == name), None)
            if info is not None:
                why = f": {info.error}" if info.error else ""
                raise UsageError(f"plugin '{name}' is {info.status.value}{why}")
            raise UsageError(f"no plugin named '{name}' is installed")
        return loaded.manifest

    def runners(self) -> list[str]:
        """The runner names the loaded plugins provide, sorted."""
        return sorted(self._runners)

    def default_runner(self) -> str | None:
        """The runner used for steps that name none, if a plugin declared one."""
        return self._default_runner

    def resolve_runner(self, runner: str | None, *, step_key: str | None = None) -> str:
        """
        Return the runner a step runs on: ``runner``, or the default when it is None.

        An unknown name is an error, never a silent fall-back to the default.

        :raises UnknownRunner: no plugin provides the runner (or there is no default).
        """
        name = runner if runner is not None else self._default_runner
        if name is not None and name in self._runners:
            return name
        available = ", ".join(self.runners()) or "none"
        step = f"step '{step_key}': " if step_key is not None else ""
        if name is None:
            message = f"{step}no runner given and no plugin provides a default runner"
            raise UnknownRunner(message, step_key=step_key)
        # A disabled plugin was never imported, so its runners are unknown; the first-party
        # ones are named after their runner, and so is the likely owner of any other.
        disabled_by = self._disabled_by.get(name)
        if disabled_by is None:
            raise UnknownRunner(
                f"{step}unknown runner '{name}' (available: {available})",
                step_key=step_key,
                runner=name,
            )
        raise UnknownRunner(
            f"{step}unknown runner '{name}': plugin '{name}' is disabled (available: {available})",
            step_key=step_key,
            runner=name,
            hint=f"enable it by {disabled_by}",
        )

    def owner_of_runner(self, runner: str) -> str:
        """Return the name of the plugin that owns ``runner`` (see :meth:`resolve_runner`)."""
        return self._runners[self.resolve_runner(runner)]

    def verbs(self) -> list[str]:
        """The top-level verbs the loaded plugins add under `hm`, sorted."""
        return sorted(self._verbs)

    def subcommands(self) -> list[tuple[str, SubcommandSpec]]:
        """``(plugin name, spec)`` of every plugin verb, sorted by verb."""
        return [self._verbs[verb] for verb in self.verbs()]

    def owner_of_verb(self, verb: str) -> str:
        """
        Return the name of the plugin that owns the top-level ``verb``.

        :raises UsageError: no plugin provides it.
        """
        claimed = self._verbs.get(verb)
        if claimed is None:
            available = ", ".join(sorted(BUILTIN_VERBS | set(self._verbs)))
            raise UsageError(
                f"unknown command '{verb}' (available: {available})",
                hint="install a plugin that provides it: `hm plugin install <source>`",
            )
        return claimed[0]

    def hooks(self, kind: HookEventKind, phase: HookPhase) -> list[tuple[str, int]]:
        """``(plugin name, timeout_ms)`` of every hook subscribed to ``kind`` in ``phase``."""
        return [
            (name, spec.timeout_ms)
            for name, spec in self._hooks
            if spec.phase is phase and kind in spec.events
        ]

    # -- calls -------------------------------------------------------------------------

    def execute_step(
        self, runner: str, context: PluginContext, executor_input: ExecutorInput
    ) -> StepResult:
        """
        Run one step on the plugin that owns ``runner``.

        The step's ``timeout_seconds`` and the run's cancellation bound the call whatever
        the plugin does: a runner that has not returned a grace period after either is
        abandoned (its isolated worker killed), and the step ends as it would have had
        the runner stopped it, timed out (124) or cancelled (130).

        :raises UnknownRunner: no plugin provides ``runner``.
        :raises PluginRuntimeError: the plugin failed (exit 6).
        """
        try:
            return self.call_runner(runner, context, executor_input)
        except Abandoned as exc:
            return self.abandoned_step(executor_input, exc)

    def call_runner(
        self, runner: str, context: PluginContext, executor_input: ExecutorInput
    ) -> StepResult:
        """
        :meth:`execute_step`, except that a runner given up on raises instead of becoming
        the step's timeout or cancellation: for a caller that judges the runner itself
        (`hm plugin check`), an abandoned call is the runner's failure, not the step's.

        :raises Abandoned: the call did not end within the grace period.
        """
        watch = self.watch_step(runner, context, executor_input)
        return call_bounded(
            lambda: self.run_step(runner, context, executor_input),
            watch=watch,
            name=f"hm-plugin-{self.owner_of_runner(runner)}",
        )

    def watch_step(
        self, runner: str, context: PluginContext, executor_input: ExecutorInput
    ) -> Watch:
        """
        The bound of one step's call (:meth:`execute_step`'s), for a caller that makes the
        call on its own thread with :meth:`run_step` and has another thread poll it.
        """
        owner = self.owner_of_runner(runner)
        plugin = self._loaded[owner].plugin
        return Watch(
            limit_s=executor_input.step.timeout_seconds,
            cancelled=context.should_cancel,
            plugin=owner,
            capability="execute_step",
            on_abandon=lambda: _abandon(plugin, executor_input.step_id),
        )

    def run_step(
        self, runner: str, context: PluginContext, executor_input: ExecutorInput
    ) -> StepResult:
        """
        One step's call on the calling thread, unbounded: the caller bounds it with
        :meth:`watch_step`, or runs it through :meth:`execute_step`.

        :raises PluginRuntimeError: the plugin failed (exit 6).
        """
        # A fresh context per call, as a thread of its own would give it.
        return contextvars.Context().run(
            self._call_one,
            self.owner_of_runner(runner),
            "hm_execute_step",
            StepResult,
            context=context,
            executor_input=executor_input,
        )

    def abandoned_step(self, executor_input: ExecutorInput, abandoned: Abandoned) -> StepResult:
        """The result of a step whose runner was given up on: timed out, or cancelled."""
        _log.warning("step '%s': %s", executor_input.step.key, abandoned.message)
        return StepResult(exit_code=EXIT_TIMED_OUT if abandoned.timed_out else EXIT_CANCELLED)

    def run_subcommand(
        self, verb: str, context: PluginContext, subcommand_input: SubcommandInput
    ) -> ExitInfo:
        """
        Run the plugin verb ``verb`` (the top-level word of ``subcommand_input.verb_path``).

        :raises UsageError: no plugin provides ``verb``.
        :raises PluginRuntimeError: the plugin failed (exit 6).
        """
        from harmont.protocol import ExitInfo  # here: a build needs no verb's types

        return self._call_one(
            self.owner_of_verb(verb),
            "hm_run_subcommand",
            ExitInfo,
            context=context,
            subcommand_input=subcommand_input,
        )

    def dispatch_hook(
        self, hook_event: HookEvent, context_factory: Callable[[str], PluginContext]
    ) -> HookOutcome:
        """
        Deliver ``hook_event`` to every hook subscribed to its kind and phase, in order.

        Each call is bounded by its spec's ``timeout_ms``. In the ``before`` phase the
        first abort stops the delivery and is returned, and a failure or a timeout
        raises; in ``after`` aborts, failures and timeouts (an unreachable engine
        included) are logged as warnings and the outcome is always continue.
        ``chain_failed`` has no hook kind, so no hook sees it.

        :param context_factory: makes the context for a plugin, given its name.
        :raises PluginRuntimeError: a ``before`` hook failed or timed out.
        :raises EngineUnavailable: a ``before`` hook found its engine unreachable.
        """
        try:
            kind = HookEventKind(hook_event.event.KIND)
        except ValueError:
            return HookContinue()
        before = hook_event.phase is HookPhase.BEFORE
        for name, timeout_ms in self.hooks(kind, hook_event.phase):
            try:
                outcome = self.deliver_hook(name, hook_event, context_factory(name), timeout_ms)
            except PluginRuntimeError as exc:
                if before:
                    raise
                _log.warning("%s (ignored: after-phase hook)", exc.message)
                continue
            except EngineUnavailable as exc:
                if before:
                    raise
                _log.warning(
                    "plugin '%s' during 'on_hook_event': %s (ignored: after-phase hook)",
                    name,
                    exc.message,
                )
                continue
            if isinstance(outcome, HookAbort):
                if before:
                    return outcome
                _log.warning(
                    "plugin '%s' asked to abort in the after phase of %s; ignored: %s",
                    name,
                    kind.value,
                    outcome.reason,
                )
        return HookContinue()

    def deliver_hook(
        self, name: str, hook_event: HookEvent, context: PluginContext, timeout_ms: int
    ) -> HookOutcome:
        """
        Deliver ``hook_event`` to the loaded plugin ``name`` alone, within ``timeout_ms``.

        What :meth:`dispatch_hook` does for each subscriber, with every failure raised
        whatever the phase, so that a caller judging the plugin (`hm plugin check`) sees it.

        :raises PluginRuntimeError: the hook failed, returned something other than a
            HookOutcome, or timed out.
        :raises EngineUnavailable: the hook found its engine unreachable.
        """

        def call() -> HookOutcome:
            # _call_one checked the type; mypy cannot narrow a tuple of classes.
            return cast(
                "HookOutcome",
                self._call_one(
                    name,
                    "hm_on_hook_event",
                    (HookContinue, HookAbort),
                    context=context,
                    hook_event=hook_event,
                ),
            )

        return call_with_timeout(
            call, timeout_ms=timeout_ms, plugin=name, capability="on_hook_event"
        )

    def _call_one(
        self, owner: str, hook: str, expected: type[_T] | tuple[type[_T], ...], **kwargs: object
    ) -> _T:
        """Call *hook* on the loaded plugin *owner* alone, through the plugin seam."""
        caller = self._caller(hook, self._loaded[owner].plugin)
        capability = hook.removeprefix("hm_")
        with self.traced(owner, capability, **kwargs):
            return call_plugin(
                lambda: caller(**kwargs), plugin=owner, capability=capability, expected=expected
            )

    def traced(
        self, plugin: str, capability: str, **call: object
    ) -> contextlib.AbstractContextManager[None]:
        """
        Around a call to *plugin*: its slice in the trace, if there is one. Calls made
        without :meth:`_call_one` (a hook every plugin sees, which only the owner answers)
        use it too.

        :param call: the call's keyword arguments, which place the slice on its step's track.
        """
        if self.tracer is None:
            return contextlib.nullcontext()
        return self.tracer.plugin_call(plugin, capability, **call)

    def _caller(self, hook: str, plugin: object) -> pluggy.HookCaller:
        """A pluggy caller of ``hook`` that reaches only ``plugin`` (tracing still applies)."""
        key = (hook, id(plugin))
        caller = self._callers.get(key)
        if caller is None:
            others = [p for _, p in self._pm.list_name_plugin() if p is not plugin]
            caller = self._pm.subset_hook_caller(hook, remove_plugins=others)
            self._callers[key] = caller
        return caller


def load_registry(
    *,
    disabled: Iterable[str] = (),
    autoload: bool | None = None,
    extra_paths: Iterable[Path] = (),
    host: Host | None = None,
    env: Mapping[str, str] | None = None,
    project_root: Path | None = None,
) -> Registry:
    """
    Discover and load the plugins of one run.

    Order: harmont's own entry points, third-party ``harmont.plugins`` entry points (by
    name), then native libraries from ``~/.harmont/plugins``, ``<project>/.harmont/plugins``,
    ``HM_PLUGIN_PATH`` and ``extra_paths``. A plugin that fails to import or validate is
    recorded as broken and the others still load.

    :param disabled: plugin names never to load, added to ``HM_DISABLE_PLUGINS``.
    :param autoload: load third-party plugins and scan native directories; by default on
        unless ``HM_NO_PLUGIN_AUTOLOAD`` is set. Built-ins and ``extra_paths`` always load.
    :param env: the environment to read (default ``os.environ``).
    :param project_root: where ``.harmont/plugins`` is looked for (default: the current
        directory).
    :raises PluginConflict: two plugins claim the same runner, verb or the default runner,
        or a plugin verb shadows a built-in command (exit 5).
    """
    env = os.environ if env is None else env
    by_option = set(disabled)
    by_env = {n.strip() for n in env.get("HM_DISABLE_PLUGINS", "").split(",") if n.strip()}
    blocked = {name: _undo(name, by_option=by_option, by_env=by_env) for name in by_option | by_env}
    if autoload is None:
        autoload = env.get("HM_NO_PLUGIN_AUTOLOAD", "") in ("", "0")
    registry = Registry(host=host)
    try:
        for candidate in entry_point_candidates(include_third_party=autoload):
            if candidate.name in blocked:
                registry._disable(candidate, candidate.name, blocked[candidate.name])
                continue
            _load_entry_point(registry, candidate)
        root = project_root or Path.cwd()
        dirs = native_dirs(env=env, project_root=root) if autoload else []
        for candidate in native_candidates([*dirs, *extra_paths]):
            if candidate.name in blocked:
                registry._disable(candidate, candidate.name, blocked[candidate.name])
            else:
                _load_native(registry, candidate, env=env, project_root=root, blocked=blocked)
    except BaseException:
        # A conflict ends the load: stop the workers of the plugins loaded so far.
        registry.close()
        raise
    if autoload:  # without autoload, an installed plugin is unknown here, not misspelt
        _warn_unknown(by_option, {info.name for info in registry.plugins()})
    return registry


def _warn_unknown(disabled: set[str], known: set[str]) -> None:
    """Warn about each ``-p no:NAME`` that names no plugin: most likely a typo."""
    import difflib  # only for a name that is unknown, rarely: `hm --help` is timed

    for name in sorted(disabled - known):
        near = difflib.get_close_matches(name, sorted(known), n=1)
        which = f"did you mean '{near[0]}'?" if near else f"plugins: {', '.join(sorted(known))}"
        _log.warning("-p no:%s: no plugin is named '%s' (%s)", name, name, which)


def _load_entry_point(registry: Registry, candidate: Candidate) -> None:
    assert candidate.entry_point is not None  # discovery sets it for Python candidates
    try:
        with real_interrupt():
            loaded = candidate.entry_point.load()
            # Like the Rust SDK's default construction: a class is instantiated once.
            plugin = loaded() if isinstance(loaded, type) else loaded
        registry._add(candidate, plugin)
    except (PluginConflict, Interrupted):
        raise
    except (PluginLoadError, PluginRuntimeError) as exc:
        registry._record(candidate, PluginStatus.BROKEN, exc.message)
    except BaseException as exc:  # a module that calls sys.exit() is broken, not hm's exit
        registry._record(
            candidate,
            PluginStatus.BROKEN,
            f"plugin '{shown_name(candidate.name)}': cannot import {candidate.entry_point.value}: "
            f"{type(exc).__name__}: {exc}",
        )


def _load_native(
    registry: Registry,
    candidate: Candidate,
    *,
    env: Mapping[str, str],
    project_root: Path,
    blocked: Mapping[str, str],
) -> None:
    from harmont._plugins._native import isolation_for, load_native

    assert candidate.path is not None  # discovery sets it for native candidates
    try:
        isolation = isolation_for(candidate.name, env=env, project_root=project_root)
        plugin = load_native(candidate.path, isolation=isolation)
        if plugin.name in blocked:
            plugin.close()
            registry._disable(candidate, plugin.name, blocked[plugin.name])
            return
        # The file stem is only what discovery calls it; the manifest names the plugin.
        registry._add_owned(attrs.evolve(candidate, name=""), plugin)
    except PluginConflict:
        raise
    except (PluginLoadError, PluginRuntimeError) as exc:
        registry._record(candidate, PluginStatus.BROKEN, exc.message)


def _abandon(plugin: object, step_id: uuid.UUID) -> None:
    """Stop what can be stopped of a runner's abandoned call: an isolated library's."""
    from harmont._plugins._native import NativePlugin

    if isinstance(plugin, NativePlugin):
        plugin.abandon_step(step_id)


def _undo(name: str, *, by_option: set[str], by_env: set[str]) -> str:
    """How to enable plugin *name* again, given what disabled it."""
    ways = []
    if name in by_option:
        ways.append(f"dropping `-p no:{name}`")
    if name in by_env:
        ways.append(f"removing '{name}' from HM_DISABLE_PLUGINS")
    return " and ".join(ways)


def _summary(capability: object) -> str:
    if isinstance(capability, StepExecutorSpec):
        return f"runner:{capability.runner}" + (" (default)" if capability.default else "")
    if isinstance(capability, SubcommandSpec):
        return f"verb:{capability.verb}"
    assert isinstance(capability, LifecycleHookSpec)
    events = ",".join(e.value for e in capability.events)
    return f"hook:{capability.phase.value}({events})"
