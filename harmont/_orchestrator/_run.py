"""
The embedding API: :func:`run` builds one pipeline and returns its :class:`BuildResult`.

``hm run`` is a thin caller of it: everything the command does, a script can do, with
events delivered to a callback instead of a terminal. One call is one run: a fresh plugin
registry and host, the source packed once, the plan scheduled, ``build_end`` emitted and
dispatched on every path once ``build_start`` was.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from harmont._background import Background
from harmont._errors import Cancelled, HarmontError, UnknownRunner, UsageError
from harmont._orchestrator._archive import ArchiveStore
from harmont._orchestrator._bus import EventBus, takes_log_batches
from harmont._orchestrator._preflight import (
    DEFAULT_PULL,
    PullFeed,
    PullPolicy,
    PullProgress,
    check_runners,
)
from harmont._orchestrator._result import (
    EXIT_FAILED,
    SKIPPED_BY_SELECTION,
    BuildResult,
    StepOutcome,
    StepSkipped,
    StepStatus,
)
from harmont._orchestrator._scheduler import Halt, RunControl, Scheduler
from harmont._orchestrator._source import pack_source
from harmont._plugins._step_output import StepLogBatch
from harmont._secrets import Masker
from harmont.protocol import BuildEnd, BuildStart, StepLog

if TYPE_CHECKING:
    from harmont._ir._model import PipelineIR
    from harmont._ir._plan import Plan
    from harmont._ir._select import Selection
    from harmont._orchestrator._debug import DebugShell
    from harmont._orchestrator._result import RunEvent
    from harmont._orchestrator._trace import Tracer
    from harmont._plugins._host import Host
    from harmont._plugins._manager import Registry
    from harmont.protocol import BuildEvent, CommandStep, HookAbort

__all__ = ["run"]

T = TypeVar("T")

#: The first-party plugin that provides the default runner, named when no plugin does.
_DEFAULT_PROVIDER: Final = "docker"
#: How often a pre-flight wait (runner checks, packing the source) looks at the cancel event.
_CANCEL_POLL_SECONDS: Final = 0.05


def run(  # noqa: PLR0915 - one line per stage of the run, marking it in the trace
    pipeline: object = None,
    *,
    slug: str | None = None,
    directory: str | os.PathLike[str] | None = None,
    runner: str | None = None,
    parallelism: int | None = None,
    env: Mapping[str, str] | None = None,
    keep_going: bool = False,
    on_event: Callable[[RunEvent], None] | None = None,
    on_plan: Callable[[Sequence[CommandStep]], None] | None = None,
    cancel: threading.Event | None = None,
    plugins: Iterable[object] = (),
    disabled_plugins: Iterable[str] = (),
    keep_logs: bool = False,
    only: Iterable[str] = (),
    secrets: Mapping[str, str] | None = None,
    debug_shell: DebugShell | None = None,
    pull: PullPolicy | str = DEFAULT_PULL,
    on_pull: Callable[[PullProgress], None] | None = None,
    trace: str | os.PathLike[str] | None = None,
) -> BuildResult:
    """
    Build one pipeline and return how it went; a failed step is a result, not an error.

    :param pipeline: what to build: a pipeline built with the DSL (``hm.pipeline([...])``)
        or any IR document as data (graph form, flat form, or an envelope with ``slug``);
        a path (``os.PathLike``) to an IR JSON file; JSON text as ``bytes``; or a ``str``
        read as `hm run` reads its argument: a slug of the project's pipelines, ``-`` for
        stdin, else a file path. None builds the project's only pipeline.
    :param slug: picks a pipeline of an envelope.
    :param directory: the project root: the source steps see, and where ``.harmont/`` is
        looked for (default: the current directory).
    :param runner: the runner of steps that name none (default: the registry's default).
    :param parallelism: chains run at once (default: the CPU count); at least 1.
    :param env: variables that win over every pipeline and step env (``hm run -e``).
    :param keep_going: let independent chains finish after a failure.
    :param on_event: receives every build event, in order, on the thread that produced it.
    :param on_plan: receives the command steps of the run (key, label, image...) once,
        before any pull and ``build_start``: events name steps by key only, and a display
        shows labels. The planned steps come first, then those ``only`` left out (which
        :class:`~harmont.StepSkipped` records name); secrets read ``***`` in their env.
    :param cancel: set it (from any thread) to cancel the build, as Ctrl-C does; the build
        then ends with exit code 130. This function never touches signal handlers.
    :param plugins: extra plugin objects, registered after the installed ones.
    :param disabled_plugins: installed plugins not to load (as ``-p no:NAME``).
    :param keep_logs: keep ``step_log`` events in :attr:`BuildResult.events` too. Off by
        default: a step printing a million lines would otherwise hold them all in memory
        until the call returns (``on_event`` sees every event either way).
    :param only: build just these steps (keys, or labels naming one step each; an item
        may list several, comma-separated) and what they need: their ``builds_in``
        ancestors and every step their waits require. Each other step is a
        :class:`~harmont.StepSkipped` record to ``on_event`` after ``build_start`` and
        a skipped outcome with ``selected=False``; nothing named builds everything.
    :param secrets: variables every step gets, over ``env`` (``hm run --secret``). Each
        value, and its base64 and URL-encoded forms for values of four characters or
        more, reads ``***`` in everything the run shows or returns: events (so hooks and
        ``on_event``), logs, error messages, the result. They never enter a cache key.
    :param debug_shell: open an interactive shell on this process's terminal (stdin must
        be one): where step ``debug_shell.at`` would run, instead of running it, the
        build reduced to that step and its needs (`hm debug`; the step's exit code is
        the shell's); or, with ``on_failure``, where a step's command failed, the rest of
        the build held meanwhile (`hm run -i`).
    :param pull: when runners pull the images chains start from, as ``docker run --pull``
        (a :class:`PullPolicy` or its word): ``missing`` (only images not stored),
        ``always``, or ``never``.
    :param on_pull: receives the progress of each pull, on the pulling threads; pulls
        happen before ``build_start``, and none is reported after this function returns.
    :param trace: write a Chrome trace-event JSON of the run to this path (`hm run
        --trace`): hm's stages, a track per chain with each step's queued and running
        (or cached) phases, every plugin call, image pulls. Written however the run
        ends, an error or a cancel included; `hm trace summary` reads it.
    :raises UsageError: an argument is invalid (``parallelism`` below 1, a step in
        ``only`` that the pipeline does not have...).
    :raises PipelineError: the pipeline cannot be found, rendered, loaded or planned;
        :class:`~harmont.UnknownRunner` when a step's runner is not available.
    :raises SourceError: the project's source cannot be packed (an unreadable file, over
        ``HM_MAX_SOURCE_BYTES``); nothing has run.
    :raises ImageUnavailable: an image is not stored and ``pull`` is ``never``, or its
        registry has no such image or tag, or refused access; nothing has run.
    :raises PluginError: a plugin failed to load, or a lifecycle hook failed during the
        build (the build is then stopped, ``build_end`` emitted, and the error raised). A
        runner's plugin failing on a step is a result: that step fails (status
        ``errored``), the build goes on under the usual fail-fast or keep-going rules, and
        the build's exit code is 6 unless it was cancelled.
    :raises EngineUnavailable: the engine a runner drives, or an image's registry,
        cannot be reached (checked before ``build_start``), or the engine went away; the
        build is stopped.
    :raises Cancelled: ``cancel`` was set before ``build_start``: while the pipeline
        files were imported, the runners checked (images pulled) or the source packed.

    Before ``build_start``, each runner the plan uses is asked whether it can run its
    steps and to pull their images (:func:`~harmont.hookspecs.hm_check_runner`): an
    engine that is down or an image that cannot be had is an error raised here, before
    any event.
    """
    from harmont._ir._plan import plan as make_plan
    from harmont._plugins._host import Host
    from harmont._plugins._manager import load_registry

    workers = _parallelism(parallelism)
    policy = PullPolicy.parse(pull)
    _check_env(env)
    root = Path(directory if directory is not None else Path.cwd()).resolve()
    if debug_shell is not None:
        _need_terminal(debug_shell)
    masker = Masker((secrets or {}).values())
    tracer = None if trace is None else _tracer(trace)
    stage = _untraced if tracer is None else tracer.stage
    registry: Registry | None = None
    host: Host | None = None
    try:
        stage("discover")
        loaded = _load(pipeline, slug=slug, root=root, cancel=cancel)
        selection, debug_shell = _select(loaded, only, debug_shell)
        ir = selection.ir
        control = RunControl()
        archives = ArchiveStore()
        run_id = uuid.uuid4()
        sink = _Sink()
        host = Host(
            project_root=root,
            emit=sink,
            emit_log_batch=sink,
            archives=archives,
            cancel=control.stop,
            masker=masker,
            keep_failed=debug_shell is not None and (debug_shell.on_failure or debug_shell.after),
            secret_names=frozenset(secrets or {}),
        )
        stage("load plugins")
        registry = load_registry(host=host, disabled=disabled_plugins, project_root=root)
        registry.tracer = tracer
        for plugin in plugins:
            registry.register(plugin)
        stage("plan")
        default = _default_runner(registry, runner, ir)
        plan = make_plan(
            ir,
            default_runner=default,
            runners=registry.runners(),
            env={**(env or {}), **(secrets or {})},
        )
        host.planned_steps = tuple(step.key for chain in plan.chains for step in chain.steps)
        if on_plan is not None:
            on_plan(_run_steps(plan, loaded, selection.skipped, masker))
        _check_runners(registry, plan, pull=policy, on_pull=on_pull, cancel=cancel)
        stage("pack")
        source = _cancellable(
            functools.partial(pack_source, root), cancel=cancel, doing=f"packing {root}"
        )
        archive_id = archives.register(source)
        events: list[BuildEvent] = []
        subscribers: list[Callable[[BuildEvent], None]] = [
            events.append if keep_logs else _without_logs(events)
        ]
        if on_event is not None:
            subscribers.append(on_event)
        if tracer is not None:
            subscribers.append(tracer.subscriber(plan))
        bus = EventBus(
            registry=registry,
            host=host,
            run_id=run_id,
            subscribers=subscribers,
            on_error=control.fail,
        )
        sink.attach(bus)
        scheduler = Scheduler(
            plan=plan,
            registry=registry,
            host=host,
            control=control,
            publish=_masking(bus.publish, masker),
            run_id=run_id,
            archive_id=archive_id,
            parallelism=workers,
            keep_going=keep_going,
            cancel=cancel,
            shell=debug_shell,
        )
        stage("build")
        return _build(
            bus=bus,
            scheduler=scheduler,
            plan=plan,
            control=control,
            run_id=run_id,
            events=events,
            host=host,
            skipped=[StepSkipped(key=k, reason=SKIPPED_BY_SELECTION) for k in selection.skipped],
            announce=on_event,
            masker=masker,
        )
    except HarmontError as error:
        masker.mask_error(error)  # in place: the traceback stays the original's
        raise
    finally:
        try:
            if registry is not None:
                registry.close()  # stops the workers of isolated native plugins
            if host is not None:
                host.close()
        finally:  # whatever failed above, the trace shows how far the run got
            if tracer is not None:
                tracer.close()


def _build(
    *,
    bus: EventBus,
    scheduler: Scheduler,
    plan: Plan,
    control: RunControl,
    run_id: uuid.UUID,
    events: list[BuildEvent],
    host: Host,
    skipped: list[StepSkipped],
    announce: Callable[[RunEvent], None] | None,
    masker: Masker,
) -> BuildResult:
    started = time.monotonic()
    exit_code = EXIT_FAILED
    outcomes: tuple[StepOutcome, ...] = tuple(
        StepOutcome(key=step.key, chain_idx=chain.index, status=StepStatus.SKIPPED)
        for chain in plan.chains
        for step in chain.steps
    )
    try:
        start = BuildStart(run_id=run_id, plan=plan.summary, started_at=datetime.now(UTC))
        abort = bus.publish(start)
        # Before any step can run, so nothing else is delivered meanwhile; hooks never
        # see these records, which are not wire events.
        if announce is not None:
            for record in skipped:
                announce(record)
        if abort is not None:
            control.halt(Halt.ABORTED, f"a hook aborted the build: {abort.reason}")
        elif control.reason is None:
            exit_code, outcomes = scheduler.run()
    finally:
        if control.error is not None:
            exit_code = EXIT_FAILED
        duration_ms = int((time.monotonic() - started) * 1000)
        bus.publish(BuildEnd(exit_code=exit_code, duration_ms=duration_ms))
        host.end_build(run_id)
    if control.error is not None:
        raise control.error
    failure = _failure(control, outcomes) if exit_code != 0 else None
    left_out = tuple(
        StepOutcome(key=r.key, chain_idx=-1, status=StepStatus.SKIPPED, selected=False)
        for r in skipped
    )
    return BuildResult(
        run_id=run_id,
        exit_code=exit_code,
        steps=tuple(masker.mask_fields(outcome) for outcome in outcomes) + left_out,
        events=tuple(events),
        duration_ms=duration_ms,
        failure=None if failure is None else masker.mask(failure),
        shell_exit_code=scheduler.shell_exit_code,
    )


def _tracer(path: str | os.PathLike[str]) -> Tracer:
    """The tracer of `hm run --trace` (imported here: a run without one never loads it)."""
    from harmont._orchestrator._trace import Tracer

    return Tracer(path)


def _untraced(stage: str) -> None:
    """The stage marker of a run without a trace."""


def _select(
    loaded: PipelineIR, only: Iterable[str], shell: DebugShell | None
) -> tuple[Selection, DebugShell | None]:
    """
    The steps to build: *only*'s, and the debugged step (named by its key from now on,
    in *shell* too) with what it needs.
    """
    from harmont._ir._select import resolve_step, select

    if shell is not None and shell.at is not None:
        debugged = resolve_step(loaded, shell.at)
        shell = attrs.evolve(shell, at=debugged)
        only = [*only, debugged]
    return select(loaded, only), shell


def _run_steps(
    plan: Plan, loaded: PipelineIR, left_out: Iterable[str], masker: Masker
) -> list[CommandStep]:
    """The planned steps, then the *left_out* ones of *loaded*, their secrets masked."""
    unselected = frozenset(left_out)
    steps = [
        *(step for chain in plan.chains for step in chain.steps),
        *(step for step in loaded.steps if step.key in unselected),
    ]
    if not masker.active:
        return steps
    return [
        attrs.evolve(
            masker.mask_fields(step),
            env=None if step.env is None else {k: masker.mask(v) for k, v in step.env.items()},
        )
        for step in steps
    ]


def _failure(control: RunControl, outcomes: tuple[StepOutcome, ...]) -> str | None:
    """Why the build failed: what stopped it, else the first plugin error of a step."""
    if control.message is not None:
        return control.message
    return next((outcome.error for outcome in outcomes if outcome.error is not None), None)


def _check_runners(
    registry: Registry,
    plan: Plan,
    *,
    pull: PullPolicy,
    on_pull: Callable[[PullProgress], None] | None,
    cancel: threading.Event | None,
) -> None:
    """Ask each runner of *plan* whether it can start, pulling images per *pull*."""
    tracer = registry.tracer
    if tracer is not None:
        tracer.stage("pre-flight")
        on_pull = tracer.pulls(on_pull)
    feed = PullFeed(on_pull)
    try:
        _cancellable(
            functools.partial(check_runners, registry, plan, pull=pull, on_pull=feed),
            cancel=cancel,
            doing="checking the runners",
        )
    finally:
        feed.close()


def _cancellable(work: Callable[[], T], *, cancel: threading.Event | None, doing: str) -> T:
    """
    *work*'s result, waited for in short slices so a cancel (Ctrl-C) ends the wait at once.

    Before ``build_start`` there is no scheduler to watch the cancel event, and a check
    of an engine that accepts but never answers, or the packing of a large tree, would
    hold a Ctrl-C for as long as it takes. So *work* runs on a daemon thread, left to
    finish on its own after a cancel (a thread cannot be stopped) without holding the
    process open at exit.

    :raises Cancelled: *cancel* was set before *work* finished.
    """
    if cancel is None:
        return work()
    cancelled = f"cancelled while {doing}"
    if cancel.is_set():
        raise Cancelled(cancelled)
    job = Background(work, name="hm-preflight")
    while not job.wait(_CANCEL_POLL_SECONDS):
        if cancel.is_set():
            raise Cancelled(cancelled)
    return job.result()


class _Sink:
    """
    The host's event sink: what plugins emit goes to the run's bus.

    The host exists before the registry it serves, and the bus needs the registry: what
    plugins emit before the bus exists is kept and delivered first, in order, once it does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bus: EventBus | None = None
        self._pending: list[BuildEvent | StepLogBatch] = []

    def __call__(self, event: BuildEvent | StepLogBatch) -> None:
        with self._lock:
            bus = self._bus
            if bus is None:
                self._pending.append(event)
                return
        bus.publish(event)

    def attach(self, bus: EventBus) -> None:
        """Deliver the events kept so far through *bus*, then send everything straight on."""
        while True:
            with self._lock:
                pending, self._pending = self._pending, []
                if not pending:
                    self._bus = bus
                    return
            # Outside the lock: a hook called for a replayed event may emit again.
            for event in pending:
                bus.publish(event)


def _masking(
    publish: Callable[[BuildEvent], HookAbort | None], masker: Masker
) -> Callable[[BuildEvent], HookAbort | None]:
    """
    *publish*, with the secrets in the scheduler's events masked (a ``chain_failed``
    message quotes a plugin's error). Step output is masked where it enters the host.
    """
    if not masker.active:
        return publish

    def masked(event: BuildEvent) -> HookAbort | None:
        return publish(event if isinstance(event, StepLog) else masker.mask_fields(event))

    return masked


def _without_logs(events: list[BuildEvent]) -> Callable[[BuildEvent], None]:
    """A subscriber that appends every event but ``step_log`` to *events*."""

    @takes_log_batches  # so that the bus never builds line events only to drop them here
    def keep(event: BuildEvent | StepLogBatch) -> None:
        if not isinstance(event, StepLog | StepLogBatch):
            events.append(event)

    return keep


def _need_terminal(shell: DebugShell) -> None:
    """A shell is opened on the terminal that stdin is: there must be one."""
    import sys

    if not sys.stdin.isatty():
        what = "hm debug" if shell.at is not None else "hm run -i"
        raise UsageError(f"{what} opens a shell on your terminal, and stdin is not one")


def _check_env(env: Mapping[str, str] | None) -> None:
    """Refuse ``env`` overrides no process can be given, in the words the loader uses."""
    from harmont._ir._json import env_problem

    problem = env_problem(env or {}, name="env")
    if problem is not None:
        raise UsageError(problem, hint="fix the variables passed with -e/--env or env=")


def _parallelism(value: int | None) -> int:
    if value is None:
        return os.cpu_count() or 1
    if value < 1:
        raise UsageError(
            f"parallelism must be at least 1 (got {value})",
            hint="omit it to run as many chains at once as there are CPUs",
        )
    return value


def _load(
    pipeline: object, *, slug: str | None, root: Path, cancel: threading.Event | None
) -> PipelineIR:
    from harmont._ir._load import load_definition, select_definition
    from harmont._pipelines import resolve_definition

    if pipeline is None or isinstance(pipeline, str):
        # The same rules as `hm render`: "-" is stdin, a slug names a pipeline of the
        # project, anything else is the path of an IR file.
        return resolve_definition(pipeline, root=root, slug=slug, cancel=cancel).ir
    if isinstance(pipeline, Mapping):
        document: Mapping[str, Any] = pipeline
        if "graph" in document:
            # A pipeline straight from the DSL has no cache keys yet: render them, as
            # discovery would, against this project.
            from harmont._dsl._render import pipeline_to_json

            document = json.loads(pipeline_to_json(dict(document), base_path=root))
        return select_definition(document, slug).ir
    if isinstance(pipeline, bytes):
        return load_definition(pipeline, slug=slug, origin="<bytes>").ir
    if isinstance(pipeline, os.PathLike):
        return load_definition(Path(pipeline), slug=slug).ir
    raise UsageError(
        "pipeline must be a DSL pipeline, an IR document (dict), a path, JSON bytes, a slug "
        f"or None (got {type(pipeline).__name__})"
    )


def _default_runner(registry: Registry, runner: str | None, ir: PipelineIR) -> str:
    """
    The runner of steps that name none: ``runner``, else the registry's default.

    Checked here rather than at the first step, so a build never starts only to fail on
    a step whose runner cannot be had.
    """
    if runner is not None:
        registry.resolve_runner(runner)
        return runner
    default = registry.default_runner()
    if default is not None:
        return default
    orphan = next((step.key for step in ir.steps if step.runner is None), None)
    if orphan is not None:
        available = ", ".join(registry.runners()) or "none"
        message = (
            f"step '{orphan}': names no runner, and no plugin provides a default runner "
            f"(available: {available})"
        )
        fix = f"install the {_DEFAULT_PROVIDER} plugin"
        try:
            registry.resolve_runner(_DEFAULT_PROVIDER)
        except UnknownRunner as exc:
            # The registry knows what disabled a plugin (-p no:NAME, HM_DISABLE_PLUGINS)
            # and words the undo: "enable it by ...".
            if exc.hint is not None and exc.hint != UnknownRunner.DEFAULT_HINT:
                message += f"; plugin '{_DEFAULT_PROVIDER}', which provides one, is disabled"
                fix = exc.hint
        raise UnknownRunner(
            message, step_key=orphan, hint=f"pass --runner NAME (e.g. --runner local), or {fix}"
        )
    # Every step names its runner: the plan summary reports no default.
    return ""
