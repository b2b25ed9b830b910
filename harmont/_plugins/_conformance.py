"""
`hm plugin check`: a plugin exercised against a real host, each capability a timed check.

A check is one call made the way a build makes it, through the registry's seams
(``call_runner``, ``deliver_hook``, ``run_subcommand``), so it meets the bounds and the
isolation a build has: a hook past its ``timeout_ms``, a runner past its step's timeout
or a grace period after ``should_cancel``, a verb past :data:`VERB_LIMIT_MS` fail their
check and are abandoned, never waited for.

What comes back is decoded strictly: a result of the right class that does not survive
the borsh codec (a string where an ``i32`` goes) is a failure naming what came back, as a
native plugin's would be. Then every check that can repeat runs again from
:data:`THREADS` threads at once, and each of those calls must answer as the check did
alone, so a plugin that is only correct one call at a time fails.

Runners are judged by what any runner must do, including one that runs no command (the
C example's): pass a passing step, return from a failing one, from a cancelled one and
from one past its time limit. A runner that does run commands (it reports the failing
step's own exit code) is held to that in the threads too; one that does not passes its
``fail`` checks as ``ok (runs no commands)``, never as a plain ``ok``.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import HarmontError
from harmont._plugins._dispatch import call_with_timeout
from harmont.protocol import (
    BuildEnd,
    BuildStart,
    CacheMissNoCommit,
    CommandStep,
    ExecutorInput,
    ExitInfo,
    FlagArg,
    HookEvent,
    HookEventKind,
    HookOutcome,
    HookPhase,
    LifecycleHookSpec,
    PlanSummary,
    PositionalArg,
    PositionalListArg,
    StdStream,
    StepCacheHit,
    StepEnd,
    StepExecutorSpec,
    StepLog,
    StepQueued,
    StepResult,
    StepStart,
    SubcommandInput,
    SubcommandSpec,
    ValueType,
    from_borsh,
    to_borsh,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from harmont._plugins._check_subject import Subject
    from harmont._plugins._host import Host
    from harmont.protocol import ArgSpec, BuildEvent, PluginManifest, Value

__all__ = ["THREADS", "VERB_LIMIT_MS", "Check", "Report", "check_plugin"]

#: How many threads call the plugin at once in the concurrent checks.
THREADS: Final = 8
#: How long a verb may take; verbs have no time limit of their own.
VERB_LIMIT_MS: Final = 30_000
#: The time limit of the steps meant to end on their own, and of the one meant to time out.
STEP_LIMIT_S: Final = 60
TIMEOUT_STEP_LIMIT_S: Final = 1
#: How long the cancelled step runs before ``should_cancel`` turns true.
CANCEL_AFTER_S: Final = 0.2
#: The file the workspace holds, which the passing step looks for.
MARKER: Final = "hm-check.txt"
#: The exit code of the failing step run alone; in thread *i* it is ``FAIL_BASE + i``.
FAIL_ALONE: Final = 3
FAIL_BASE: Final = 10
#: What a long step runs: longer than any bound here, so only a runner's stop ends it.
_LONG: Final = "sleep 300"


@attrs.frozen(kw_only=True)
class Check:
    """One line of the report: a check, whether it passed, how long it took and why not."""

    name: str
    ok: bool
    #: The call's duration; for a concurrent check, the slowest of its calls.
    seconds: float
    reason: str | None = None
    #: What a passed check passed as, when it is less than the check asks (a runner that
    #: runs no commands): shown beside ``ok`` so it is never taken for a full pass.
    note: str | None = None

    @property
    def verdict(self) -> str:
        """``ok``, ``ok (NOTE)`` or ``FAIL``."""
        if not self.ok:
            return "FAIL"
        return "ok" if self.note is None else f"ok ({self.note})"

    def to_data(self) -> dict[str, object]:
        """The check as JSON-ready data (`hm plugin check --format json`)."""
        return {
            "name": self.name,
            "ok": self.ok,
            "verdict": self.verdict,
            "ms": round(self.seconds * 1000, 1),
            "reason": self.reason,
        }


@attrs.frozen(kw_only=True)
class Report:
    """Every check of one plugin; it passes when all of them do."""

    #: The manifest's name; None for a plugin that did not load.
    plugin: str | None
    version: str | None
    kind: str
    source: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)

    def to_data(self) -> dict[str, object]:
        """The report as JSON-ready data."""
        return {
            "plugin": self.plugin,
            "version": self.version,
            "kind": self.kind,
            "source": self.source,
            "passed": self.passed,
            "checks": [check.to_data() for check in self.checks],
        }


@attrs.frozen(kw_only=True)
class _Probe:
    """
    One call to make and how to judge its answer.

    ``call(i)`` makes the call as thread *i* (0: alone); ``judge(result, i, alone)`` says
    what is wrong with *result*, if anything, given the answer the call had alone (None
    while judging that one).
    """

    name: str
    call: Callable[[int], object]
    judge: Callable[[object, int, object], str | None]
    #: The wire type of the result: a class, or a union such as HookOutcome.
    returns: object = StepResult
    #: Whether it runs from several threads too (not while ``should_cancel`` is true).
    concurrent: bool = True
    #: The :attr:`Check.note` of a pass, given the result the call had alone.
    note: Callable[[object], str | None] = lambda alone: None


def check_plugin(target: str, *, progress: Callable[[Check], None] | None = None) -> Report:
    """
    Load *target* (see :mod:`._check_subject`) in a fresh host and run every check.

    :param progress: called with each check as it ends.
    :raises UsageError: *target* names nothing that can be checked (exit 2).
    """
    from harmont._orchestrator._archive import ArchiveStore
    from harmont._orchestrator._source import pack_source
    from harmont._plugins._check_subject import open_subject
    from harmont._plugins._host import Host

    with tempfile.TemporaryDirectory(prefix="hm-plugin-check-") as temp:
        workspace = Path(temp) / "workspace"
        (workspace / ".harmont").mkdir(parents=True)
        (workspace / MARKER).write_text("written by hm plugin check\n")
        archives = ArchiveStore()
        archive_id = archives.register(pack_source(workspace))
        cancel = threading.Event()
        with (
            Path(os.devnull).open("wb") as sink,  # a plugin's write_stdout is not the report
            Host(
                project_root=workspace,
                state_dir=Path(temp) / "state",
                archives=archives,
                cancel=cancel,
                stdout=sink,
                stderr=sink,
            ) as host,
        ):
            subject = open_subject(target, host=host)
            try:
                return _Session(subject, host, archive_id, cancel, progress).run()
            finally:
                subject.close()


class _Session:
    """The checks of one loaded plugin, run in order, then the concurrent ones."""

    def __init__(
        self,
        subject: Subject,
        host: Host,
        archive_id: uuid.UUID,
        cancel: threading.Event,
        progress: Callable[[Check], None] | None,
    ) -> None:
        self._subject = subject
        self._host = host
        self._archive_id = archive_id
        self._cancel = cancel
        self._progress = progress
        self._checks: list[Check] = []
        #: One run for every step and event, ended with a build_end when all is done.
        self._run_id = uuid.uuid4()

    def run(self) -> Report:
        subject = self._subject
        manifest = subject.manifest
        self._add(
            Check(
                name="manifest",
                ok=manifest is not None,
                seconds=subject.load_seconds,
                reason=subject.load_error,
            )
        )
        if manifest is None:
            return self._report(None, None)
        probes = [*self._runner_probes(manifest), *self._hook_probes(manifest)]
        probes += self._verb_probes(manifest)
        alone: dict[str, object] = {}
        for probe in probes:
            check, result = self._alone(probe)
            self._add(check)
            if check.ok:
                alone[probe.name] = result
        for probe in probes:
            if probe.concurrent and probe.name in alone:
                self._add(self._together(probe, alone[probe.name]))
        self._end_run(manifest)
        return self._report(manifest.name, manifest.version)

    def _report(self, name: str | None, version: str | None) -> Report:
        return Report(
            plugin=name,
            version=version,
            kind=self._subject.kind,
            source=self._subject.source,
            checks=tuple(self._checks),
        )

    def _add(self, check: Check) -> None:
        self._checks.append(check)
        if self._progress is not None:
            self._progress(check)

    # -- running a probe ---------------------------------------------------------------

    def _alone(self, probe: _Probe) -> tuple[Check, object]:
        seconds, result, reason = _timed(probe, 0, None)
        ok = reason is None
        note = probe.note(result) if ok else None
        return Check(name=probe.name, ok=ok, seconds=seconds, reason=reason, note=note), result

    def _together(self, probe: _Probe, alone: object) -> Check:
        start = threading.Barrier(THREADS)

        def one(index: int) -> tuple[float, object, str | None]:
            start.wait()
            return _timed(probe, index, alone)

        with ThreadPoolExecutor(THREADS, thread_name_prefix="hm-check") as pool:
            outcomes = list(pool.map(one, range(1, THREADS + 1)))
        failures = [
            f"thread {index}: {reason}"
            for index, (_, _, reason) in enumerate(outcomes, start=1)
            if reason is not None
        ]
        reason = None
        if failures:
            reason = failures[0] + (f" (and {len(failures) - 1} more)" if failures[1:] else "")
        return Check(
            name=f"{probe.name} x{THREADS}",
            ok=not failures,
            seconds=max(seconds for seconds, _, _ in outcomes),
            reason=reason,
            note=None if failures else probe.note(alone),
        )

    # -- runners -----------------------------------------------------------------------

    def _runner_probes(self, manifest: PluginManifest) -> Iterator[_Probe]:
        for spec in manifest.capabilities:
            if isinstance(spec, StepExecutorSpec):
                yield from self._probes_of_runner(spec.runner)

    def _probes_of_runner(self, runner: str) -> Iterator[_Probe]:
        def passing(index: int) -> StepResult:
            return self._step(runner, f"test -f {MARKER}", STEP_LIMIT_S)

        def failing(index: int) -> StepResult:
            return self._step(runner, f"exit {_fail_code(index)}", STEP_LIMIT_S)

        def cancelled(index: int) -> StepResult:
            return self._cancelled_step(runner)

        def timed_out(index: int) -> StepResult:
            return self._step(runner, _LONG, TIMEOUT_STEP_LIMIT_S)

        yield _Probe(name=f"runner:{runner} pass", call=passing, judge=_judge_pass)
        yield _Probe(name=f"runner:{runner} fail", call=failing, judge=_judge_fail, note=_note_fail)
        for name, call in (("cancel", cancelled), ("timeout", timed_out)):
            yield _Probe(
                name=f"runner:{runner} {name}", call=call, judge=_judge_any, concurrent=False
            )

    def _step(self, runner: str, command: str, limit_s: int) -> StepResult:
        """Run *command* on *runner* in the workspace, as the scheduler hands a step over."""
        from harmont._orchestrator._scheduler import WORKDIR

        registry = self._subject.registry
        step_id = uuid.uuid4()
        executor_input = ExecutorInput(
            step=CommandStep(key="hm-check", cmd=command, timeout_seconds=limit_s, runner=runner),
            workspace_archive_id=self._archive_id,
            env={},
            workdir=WORKDIR,
            run_id=self._run_id,
            step_id=step_id,
            cache_lookup=CacheMissNoCommit(),
        )
        owner = registry.owner_of_runner(runner)
        context = self._host.context(owner, run_id=self._run_id, step_id=step_id)
        try:
            return registry.call_runner(runner, context, executor_input)
        finally:
            self._host.end_step(step_id)

    def _cancelled_step(self, runner: str) -> StepResult:
        """A long step whose ``should_cancel`` turns true shortly after it starts."""
        timer = threading.Timer(CANCEL_AFTER_S, self._cancel.set)
        timer.start()
        try:
            return self._step(runner, _LONG, STEP_LIMIT_S)
        finally:
            timer.cancel()
            self._cancel.clear()

    # -- hooks -------------------------------------------------------------------------

    def _hook_probes(self, manifest: PluginManifest) -> Iterator[_Probe]:
        specs = [c for c in manifest.capabilities if isinstance(c, LifecycleHookSpec)]
        kinds = {kind for spec in specs for kind in spec.events}
        for kind in HookEventKind:  # the order of a build
            if kind not in kinds:
                continue
            for phase in HookPhase:
                limit_ms = max(
                    (s.timeout_ms for s in specs if s.phase is phase and kind in s.events),
                    default=max(s.timeout_ms for s in specs),
                )
                yield self._hook_probe(manifest.name, kind, phase, limit_ms)

    def _hook_probe(
        self, plugin: str, kind: HookEventKind, phase: HookPhase, limit_ms: int
    ) -> _Probe:
        def deliver(index: int) -> HookOutcome:
            return self._hook(plugin, _event(kind, self._run_id), phase, limit_ms)

        return _Probe(
            name=f"hook:{kind.value} {phase.value}",
            call=deliver,
            returns=HookOutcome,
            judge=_judge_hook,
        )

    def _hook(self, plugin: str, event: BuildEvent, phase: HookPhase, limit_ms: int) -> HookOutcome:
        context = self._host.context(plugin, run_id=self._run_id)
        return self._subject.registry.deliver_hook(
            plugin, HookEvent(event=event, phase=phase), context, limit_ms
        )

    def _end_run(self, manifest: PluginManifest) -> None:
        """
        Let a plugin that cleans up at ``build_end`` release what the steps left.

        Only the plugin under check hears it: the run is the check's own, and the other
        installed plugins loaded with it (by name) saw none of it. Its failure here is
        not judged again: the ``hook:build_end after`` check already judged this call.
        """
        limits = [
            c.timeout_ms
            for c in manifest.capabilities
            if isinstance(c, LifecycleHookSpec)
            and c.phase is HookPhase.AFTER
            and HookEventKind.BUILD_END in c.events
        ]
        if limits:
            end = BuildEnd(exit_code=0, duration_ms=0)
            with contextlib.suppress(HarmontError):
                self._hook(manifest.name, end, HookPhase.AFTER, max(limits))

    # -- verbs -------------------------------------------------------------------------

    def _verb_probes(self, manifest: PluginManifest) -> Iterator[_Probe]:
        for spec in manifest.capabilities:
            if not isinstance(spec, SubcommandSpec):
                continue
            for path, args in _invocations(spec, ()):
                yield self._verb_probe(manifest.name, path, args)

    def _verb_probe(self, plugin: str, path: tuple[str, ...], args: dict[str, Value]) -> _Probe:
        def run(index: int) -> ExitInfo:
            return self._verb(plugin, path, args)

        return _Probe(name=f"verb:{' '.join(path)}", call=run, returns=ExitInfo, judge=_judge_same)

    def _verb(self, plugin: str, path: tuple[str, ...], args: dict[str, Value]) -> ExitInfo:
        registry = self._subject.registry
        subcommand_input = SubcommandInput(verb_path=path, args=args, env={})
        context = self._host.context(plugin)
        return call_with_timeout(
            lambda: registry.run_subcommand(path[0], context, subcommand_input),
            timeout_ms=VERB_LIMIT_MS,
            plugin=plugin,
            capability="run_subcommand",
        )


def _timed(probe: _Probe, index: int, alone: object) -> tuple[float, object, str | None]:
    """Make *probe*'s call as thread *index*: its duration, its result and what is wrong."""
    started = time.monotonic()
    try:
        result = probe.call(index)
    except HarmontError as exc:
        return time.monotonic() - started, None, exc.message
    seconds = time.monotonic() - started
    reason = _undecodable(result, probe.returns) or probe.judge(result, index, alone)
    return seconds, result, reason


def _undecodable(result: object, returns: object) -> str | None:
    """Why *result* does not cross the wire as a *returns* unchanged, if it does not."""
    try:
        same = from_borsh(returns, to_borsh(result)) == result
    except (HarmontError, ValueError, TypeError, AttributeError) as exc:
        return f"returned {result!r}, which does not encode: {exc}"
    return None if same else f"returned {result!r}, which does not survive the wire"


def _fail_code(index: int) -> int:
    return FAIL_ALONE if index == 0 else FAIL_BASE + index


def _exit_code(result: object) -> int:
    assert isinstance(result, StepResult)  # _undecodable checked it
    return result.exit_code


def _judge_pass(result: object, index: int, alone: object) -> str | None:
    code = _exit_code(result)
    return None if code == 0 else f"a passing step (test -f {MARKER}) ended with exit {code}"


def _judge_fail(result: object, index: int, alone: object) -> str | None:
    """Alone, exit 3 or (a runner that runs no command) 0; in threads, as it was alone."""
    code = _exit_code(result)
    if alone is None:
        if code in (FAIL_ALONE, 0):
            return None
        return f"`exit {FAIL_ALONE}` ended with exit {code}, expected {FAIL_ALONE}"
    runs_commands = _exit_code(alone) == FAIL_ALONE
    expected = _fail_code(index) if runs_commands else _exit_code(alone)
    if code == expected:
        return None
    return f"`exit {_fail_code(index)}` ended with exit {code}, expected {expected}"


def _note_fail(alone: object) -> str | None:
    """A runner that ended `exit 3` with exit 0 runs no commands: a pass, but not a full one."""
    return "runs no commands" if _exit_code(alone) != FAIL_ALONE else None


def _judge_any(result: object, index: int, alone: object) -> str | None:
    """Any StepResult: what is judged is that the runner returned, in time."""
    return None


def _judge_hook(result: object, index: int, alone: object) -> str | None:
    if alone is None or type(result) is type(alone):
        return None
    return f"answered {result!r}, but {alone!r} when called alone"


def _judge_same(result: object, index: int, alone: object) -> str | None:
    if alone is None or result == alone:
        return None
    return f"returned {result!r}, but {alone!r} when called alone"


def _event(kind: HookEventKind, run_id: uuid.UUID) -> BuildEvent:
    """An event of *kind*, as a one-step build would publish it."""
    step_id = uuid.UUID(int=run_id.int ^ 1)
    now = datetime.datetime.now(datetime.UTC)
    events: dict[HookEventKind, BuildEvent] = {
        HookEventKind.BUILD_START: BuildStart(
            run_id=run_id,
            plan=PlanSummary(step_count=1, chain_count=1, default_runner="local"),
            started_at=now,
        ),
        HookEventKind.STEP_QUEUED: StepQueued(step_id=step_id, key="hm-check", chain_idx=0),
        HookEventKind.STEP_START: StepStart(step_id=step_id, runner="local"),
        HookEventKind.STEP_LOG: StepLog(
            step_id=step_id, stream=StdStream.STDOUT, line="hm plugin check", ts=now
        ),
        HookEventKind.STEP_CACHE_HIT: StepCacheHit(step_id=step_id, key="hm-check", tag="hm-check"),
        HookEventKind.STEP_END: StepEnd(step_id=step_id, exit_code=0, duration_ms=1),
        HookEventKind.BUILD_END: BuildEnd(exit_code=0, duration_ms=1),
    }
    return events[kind]


def _invocations(
    spec: SubcommandSpec, parent: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Value]]]:
    """
    Every verb path `hm` can invoke under *spec*, with a value for each declared argument,
    as `hm` hands them over: a leaf, and a group that has arguments of its own.
    """
    path = (*parent, spec.verb)
    if not spec.subcommands or spec.args:
        yield path, {_arg_name(arg): _sample(arg) for arg in spec.args}
    for child in spec.subcommands:
        yield from _invocations(child, path)


def _arg_name(arg: ArgSpec) -> str:
    return arg.name if isinstance(arg, PositionalArg | PositionalListArg) else arg.long


def _sample(arg: ArgSpec) -> Value:
    """A value for *arg* of the type `hm` parses it to (a flag is set, a list has two)."""
    if isinstance(arg, FlagArg):
        return True
    one: Value = 7 if arg.value_type is ValueType.INT else MARKER
    return [one, one] if isinstance(arg, PositionalListArg) else one
