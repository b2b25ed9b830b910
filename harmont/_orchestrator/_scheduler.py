"""
The scheduler: runs a plan's chains on a bounded pool and reports every step as events.

A chain runs on one of ``parallelism`` worker threads; its steps run in order, each started
from the snapshot the previous one (or, for the first, the fork parent) committed. A chain
starts once the steps its first step waits for have finished; before a later step that
waits for steps of other chains, it pauses (:mod:`harmont._orchestrator._waits`): the
worker gives its slot back, so a bounded pool never deadlocks on chains waiting for each
other, and the chain resumes from its live snapshot once those steps have finished. A step
whose wait needs success is skipped, with the rest of its chain, when a step it waits for
did not pass.

A trivial step must cost the host little, so a step's path crosses no thread: its events
are published, its runner called (:meth:`Registry.run_step`) and its end recorded on its
chain's own worker, and a worker whose chain ends takes the next ready segment itself
while nothing stops the build. The main loop starts workers for free slots, decides while
the build stops, and keeps each runner call's bound: a runner still running 5 s past its
step's timeout or the build's stop is abandoned there, the step ended in its worker's
place (124 or 130) and the worker, stuck in the plugin, left to its daemon thread.

What ends a build early, first cause wins:

- a failed step, by default (fail-fast): running steps of other chains are cancelled and
  nothing new starts, except what waits behind a ``continue_on_failure`` wait, which still
  runs once the cancelled steps have stopped (unless a later stop, Ctrl-C or the
  pipeline timeout, came meanwhile); with ``keep_going`` independent chains
  finish and only what needs the failed step is skipped;
- a runner's plugin failing on a step (it raised, crashed, timed out): that step fails
  with exit code 1 and the message of the plugin error in its ``chain_failed``; then as
  for a failed step, and the build's exit code is 6;
- the pipeline's ``timeout_seconds``: everything running is cancelled;
- the caller's cancel event (Ctrl-C): everything running is cancelled, exit 130;
- a ``before`` hook's abort: everything running is cancelled;
- an error that is not a step's own: a failing hook, the engine gone
  (:class:`~harmont.EngineUnavailable`), a bug: everything running is cancelled and the
  error is raised once ``build_end`` is out.

Cancellation is one event shared with the host (``context.should_cancel()``): executors
poll it, kill their step and report exit code 130.

Event fields, as emitted here (docs/protocol.md):

- ``step_queued.chain_idx`` is the index of the step's chain in the plan (the same index as
  ``chain_failed.chain_idx``), not the step's position inside its chain;
- ``step_cache_hit.key`` is the step's cache key (``cache.key``); ``tag`` the snapshot reused;
- ``step_start.runner`` is the resolved runner, ``image`` the step's image after the
  default image was stamped on chain roots;
- ``step_end`` follows every ``step_start`` (and ends a step whose cache lookup failed
  before it could start); ``exit_code`` is the executor's (124: step
  timeout, 130: cancelled; 1 when its plugin failed), ``snapshot`` what the executor
  committed (live or durable);
- ``chain_failed`` follows the ``step_end`` of a failed step (or a step a hook aborted, with
  exit code 1); ``message`` says why in one line: for a plugin failure, the plugin error,
  which names the plugin, and its hint in parentheses; else the words of
  :func:`~harmont._orchestrator._result.failure_message`, from which renderers read the
  step's status back (:func:`~harmont._orchestrator._result.failure_status`);
- ``build_end.exit_code`` is the build's outcome, always emitted: 0, 1, 6 (a plugin failed
  a step) or 130, the highest-ranked that applies: 130 > 6 > 1.
"""

from __future__ import annotations

import enum
import functools
import logging
import queue
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import attrs

from harmont._background import start
from harmont._errors import EngineUnavailable, HarmontError, PluginError, PluginRuntimeError
from harmont._orchestrator._cache import decide
from harmont._orchestrator._debug import ShellGate, open_shell
from harmont._orchestrator._result import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PLUGIN_FAILED,
    EXIT_TIMED_OUT,
    StepOutcome,
    StepStatus,
    failure_message,
)
from harmont._orchestrator._waits import Segment, WaitBoard
from harmont._plugins._dispatch import Interrupted
from harmont.protocol import (
    CacheDecision,
    CacheHit,
    CacheMissNoCommit,
    ChainFailed,
    ExecutorInput,
    StepCacheHit,
    StepEnd,
    StepQueued,
    StepResult,
    StepStart,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._ir._plan import Chain, Plan
    from harmont._orchestrator._debug import DebugShell
    from harmont._plugins._context import PluginContext
    from harmont._plugins._dispatch import Abandoned, Watch
    from harmont._plugins._host import Host
    from harmont._plugins._manager import Registry
    from harmont.protocol import BuildEvent, CommandStep, HookAbort

__all__ = ["Halt", "RunControl", "Scheduler"]

#: The workdir every executor is given (the container path; local maps it to a directory).
WORKDIR: Final = "/workspace"
#: How often the main loop checks the caller's cancel event and the pipeline deadline.
_TICK_SECONDS: Final = 0.05
#: The bits of a random 128-bit number that make it a version 4 UUID: the variant (RFC
#: 4122) and the version, cleared and then set.
_UUID4_CLEAR: Final = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET: Final = (0x8000 << 48) | (4 << 76)


class Halt(enum.Enum):
    """Why a build stopped early."""

    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    ABORTED = "aborted"
    ERROR = "error"


class RunControl:
    """
    The run's stop switch, shared by the scheduler, the event bus and the host.

    ``stop`` is the host's cancel event. The first reason to stop wins; an error that is
    not a step's own (a failing hook, the engine gone) is kept to be raised once the build
    has ended.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.reason: Halt | None = None
        self.message: str | None = None
        self.error: HarmontError | Exception | None = None

    def halt(self, reason: Halt, message: str) -> None:
        """Stop the build for *reason* (ignored when it is already stopping)."""
        with self._lock:
            # Ctrl-C overrides a fail-fast stop: the user asked for everything to stop now.
            if self.reason is None or (reason is Halt.CANCELLED and self.reason is Halt.FAILED):
                self.reason, self.message = reason, message
        self.stop.set()

    def fail(self, error: HarmontError | Exception) -> None:
        """Stop the build because of *error*, which the run raises at the end."""
        with self._lock:
            if self.error is None:
                self.error = error
        self.halt(Halt.ERROR, str(error))


class _Abandoned(Exception):
    """
    Raised on a chain's thread whose runner call the main loop gave up on while it ran:
    the main loop has ended the step in its place, so the thread reports nothing.
    """


class _Verdict(enum.Enum):
    """What to do with a segment whose waits have all finished."""

    RUN = "run"
    SKIP = "skip"
    #: Hold it until the chains fail-fast cancelled have stopped, then decide again.
    HOLD = "hold"


class _Note(enum.Enum):
    """A worker's report that needs no book-keeping from the main loop."""

    #: A step that passed made a segment ready, which a free slot may start.
    READIED = "readied"
    #: The worker recorded where its chain stopped and gave its slot back.
    FREED = "freed"


@attrs.frozen(kw_only=True)
class _Stopped:
    """A worker's report: it gave its slot back at ``segment``."""

    segment: Segment
    #: True: it paused before that step, whose waits have not all passed, and resumes
    #: from ``parent``. False: the chain runs nothing more, and no step from that one on
    #: passed (it failed there, was stopped, or the chain ended).
    paused: bool
    parent: str | None = None


class Scheduler:
    """
    Runs one plan. Build one per run and call :meth:`run` once.

    :param publish: the event bus: delivers an event, returns a ``before`` hook's abort.
    :param cancel: the caller's cancel event (Ctrl-C); never touched, only watched.
    """

    def __init__(
        self,
        *,
        plan: Plan,
        registry: Registry,
        host: Host,
        control: RunControl,
        publish: Callable[[BuildEvent], HookAbort | None],
        run_id: uuid.UUID,
        archive_id: uuid.UUID,
        parallelism: int,
        keep_going: bool = False,
        cancel: threading.Event | None = None,
        shell: DebugShell | None = None,
    ) -> None:
        self._plan = plan
        self._shell = shell
        #: The exit status of the shell ``hm debug`` opened (``shell.at``); None until then.
        self.shell_exit_code: int | None = None
        self._gate = ShellGate()
        self._registry = registry
        self._host = host
        self._control = control
        self._publish = publish
        self._run_id = run_id
        self._archive_id = archive_id
        self._parallelism = parallelism
        self._keep_going = keep_going
        self._cancel = cancel
        self._forked = plan.snapshot_keys
        self._lock = threading.Lock()
        self._snapshots: dict[str, str] = {}
        self._outcomes: dict[str, StepOutcome] = {}
        self._board = WaitBoard(plan)
        self._watched = self._board.watched
        #: Workers' reports to the main loop.
        self._messages: queue.SimpleQueue[_Stopped | _Note] = queue.SimpleQueue()
        self._deadline: float | None = None
        # Step ids drawn from a generator of the run's own, seeded once from the OS:
        # uuid4() reads the OS per id, a system call that lets go of the GIL per step.
        # Its own, so that a caller's random.seed() cannot repeat ids across runs.
        self._ids = random.Random()
        #: The runner calls in flight on chains' threads, each with how to end its step
        #: should the main loop give up on it.
        self._watches: dict[Watch, Callable[[Abandoned], None]] = {}
        self._owners: dict[str, str] = {}

    # -- the main loop -------------------------------------------------------------------

    def run(self) -> tuple[int, tuple[StepOutcome, ...]]:
        """Run every chain that should run; return the exit code and each step's outcome."""
        timeout = self._plan.timeout_seconds
        self._deadline = None if timeout is None else time.monotonic() + timeout
        held: list[tuple[Segment, str | None]] = []  # until fail-fast's cancellations drain
        running = 0
        while True:
            self._watch()
            self._abandon_overdue()
            if running == 0:
                self._release(held)
            running += self._start(running, held)
            if running == 0 and not held and not self._board.has_ready:
                break
            try:
                message = self._messages.get(timeout=_TICK_SECONDS)
            except queue.Empty:
                continue
            except KeyboardInterrupt:  # no handler installed: treat it as cancellation
                self._control.halt(Halt.CANCELLED, "cancelled")
                continue
            if message is _Note.READIED:
                continue
            running -= 1
            if message is _Note.FREED:
                continue
            if message.paused:
                self._board.paused(message.segment, message.parent)
            else:
                self._board.stopped(message.segment)
        return self._exit_code(), self._collect()

    def _release(self, held: list[tuple[Segment, str | None]]) -> None:
        """
        With nothing running, decide what fail-fast's drain held back.

        Still stopping only for a failure: fail-fast has cancelled everything that was
        running, so what waits behind a continue_on_failure wait runs now, uncancelled.
        Any later reason (Ctrl-C, the pipeline timeout) stops those segments too.
        """
        if self._control.reason is Halt.FAILED:
            self._control.stop.clear()
            for segment, parent in held:
                self._board.push_ready(segment, parent)
        else:
            for segment, _ in held:
                self._board.stopped(segment)
        held.clear()

    def _start(self, running: int, held: list[tuple[Segment, str | None]]) -> int:
        """Start ready segments while slots are free (skipping or holding some); say how many."""
        started = 0
        while running + started < self._parallelism:
            ready = self._board.pop_ready()
            if ready is None:
                break
            segment, parent = ready
            verdict = self._verdict(self._board.needs(segment), draining=running + started > 0)
            if verdict is _Verdict.HOLD:
                held.append(ready)
            elif verdict is _Verdict.SKIP:
                self._board.stopped(segment)
            else:
                started += 1
                # Reused daemon threads: a chain whose runner hangs past its bound keeps
                # its thread, and the chains after it get others (_abandon_overdue).
                start(functools.partial(self._chain_task, segment, parent), name="hm-chain")
        return started

    def _abandon_overdue(self) -> None:
        """
        End, in their chains' place, the steps whose runner is past its bound: 5 s past
        the step's timeout or the build's stop. A step's call runs on its chain's own
        thread (no hand-off per step), so the main loop keeps the bound, every tick.
        """
        if not self._watches:
            return
        with self._lock:
            watches = list(self._watches.items())
        for watch, end in watches:
            abandoned = watch.overdue()
            if abandoned is not None:
                end(abandoned)

    def _watch(self) -> None:
        """Stop the build on the caller's cancel or past the pipeline's deadline. Any thread."""
        if self._cancel is not None and self._cancel.is_set():
            self._control.halt(Halt.CANCELLED, "cancelled")
        elif self._deadline is not None and time.monotonic() >= self._deadline:
            timeout = self._plan.timeout_seconds
            self._control.halt(Halt.TIMED_OUT, f"pipeline timed out after {timeout}s")

    def _verdict(self, needs: list[tuple[bool, bool]], *, draining: bool) -> _Verdict:
        """
        For a segment whose waits have finished, given ``(passed, requires_success)`` of
        each: run it, skip the rest of its chain, or hold it while ``draining``.
        """
        if any(required and not passed for passed, required in needs):
            return _Verdict.SKIP
        reason = self._control.reason
        if reason is None:
            return _Verdict.RUN
        if reason is Halt.FAILED and any(not required for _, required in needs):
            # Behind a continue_on_failure wait: runs once the cancelled chains are gone.
            return _Verdict.HOLD if draining else _Verdict.RUN
        return _Verdict.SKIP

    def _exit_code(self) -> int:
        """130 (cancelled) > 6 (a plugin failed a step) > 1 (any other failure) > 0."""
        reason = self._control.reason
        if reason is Halt.CANCELLED:
            return EXIT_CANCELLED
        statuses = {outcome.status for outcome in self._outcomes.values()}
        if StepStatus.ERRORED in statuses:
            return EXIT_PLUGIN_FAILED
        failed = {StepStatus.FAILED, StepStatus.TIMED_OUT, StepStatus.CANCELLED}
        if reason is not None or statuses & failed:
            return EXIT_FAILED
        return EXIT_OK

    def _collect(self) -> tuple[StepOutcome, ...]:
        return tuple(
            self._outcomes.get(step.key)
            or StepOutcome(key=step.key, chain_idx=chain.index, status=StepStatus.SKIPPED)
            for chain in self._plan.chains
            for step in chain.steps
        )

    # -- one chain, on a worker thread ---------------------------------------------------

    def _step_id(self) -> uuid.UUID:
        """A random (version 4) UUID for one execution of a step."""
        # The version and variant bits set by hand: what ``version=4`` does, done cheaper.
        return uuid.UUID(int=self._ids.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET)

    def _owner(self, runner: str) -> str:
        """The plugin owning *runner*, looked up once per runner."""
        owner = self._owners.get(runner)
        if owner is None:
            owner = self._owners[runner] = self._registry.owner_of_runner(runner)
        return owner

    def _chain_task(self, segment: Segment, parent: str | None) -> None:
        """
        Run a segment, then, while the build goes on undisturbed, the next ready segment
        on the same thread and slot: a wake-up of the main loop and of a worker saved
        per chain.
        """
        report: _Stopped | _Note | None = None
        ready = (segment, parent)
        try:
            while True:
                (index, position), parent = ready
                # What the main loop records should this segment raise.
                report = _Stopped(segment=(index, position), paused=False)
                after = self._take_on(self._run_chain(self._plan.chains[index], position, parent))
                if not isinstance(after, tuple):
                    report = after
                    break
                ready = after
        except _Abandoned:
            report = None  # the main loop ended the step and reported the chain stopped
        except Exception as exc:  # bugs, and a gone engine: raised by run() once the build ended
            self._control.fail(exc)
        finally:
            if report is not None:
                self._messages.put(report)

    def _take_on(self, stopped: _Stopped) -> tuple[Segment, str | None] | _Stopped | _Note:
        """
        Where a worker whose chain *stopped* goes next. While nothing stops the build, it
        records *stopped* on the board itself and takes the next ready segment, or with
        none to run gives its slot back (``FREED``). While the build stops, the main loop
        records and decides (fail-fast's drain): *stopped* is its report.
        """
        self._watch()
        if self._control.reason is not None:
            return stopped
        if stopped.paused:
            self._board.paused(stopped.segment, stopped.parent)
        else:
            self._board.stopped(stopped.segment)
        while (ready := self._board.pop_ready()) is not None:
            verdict = self._verdict(self._board.needs(ready[0]), draining=True)
            if verdict is _Verdict.RUN:
                return ready
            if verdict is _Verdict.HOLD:  # the build began to stop: the main loop decides
                self._board.push_ready(*ready)
                break
            self._board.stopped(ready[0])
        return _Note.FREED

    def _run_chain(self, chain: Chain, start: int, parent: str | None) -> _Stopped:
        """Run *chain* from *start* until it ends or pauses; return where it stopped."""
        if start == 0 and chain.fork_parent is not None:
            with self._lock:
                parent = self._snapshots.get(chain.fork_parent)
        for position in range(start, len(chain.steps)):
            step = chain.steps[position]
            segment = (chain.index, position)
            if position > start and not self._board.may_go_on(*segment):
                return _Stopped(segment=segment, paused=True, parent=parent)
            if self._control.stop.is_set():
                return _Stopped(segment=segment, paused=False)
            result = self._run_step(chain, step, parent, segment)
            if result is None or result.exit_code != 0:
                return _Stopped(segment=segment, paused=False)
            if step.key in self._watched and self._board.passed(step.key):
                self._messages.put(_Note.READIED)
            parent = result.committed_snapshot
            if parent is not None and step.key in self._forked:
                with self._lock:
                    self._snapshots[step.key] = parent
        return _Stopped(segment=(chain.index, len(chain.steps)), paused=False)

    def _run_step(
        self, chain: Chain, step: CommandStep, parent: str | None, segment: Segment
    ) -> StepResult | None:
        if self._gate.pass_() and self._control.stop.is_set():
            return None  # held by a debug shell, after which the build stopped (fail-fast)
        debugged = self._shell is not None and self._shell.at == step.key
        step_id = self._step_id()
        runner = step.runner or self._plan.default_runner
        if self._aborted(StepQueued(step_id=step_id, key=step.key, chain_idx=chain.index)):
            self._abort_step(chain, step, step_id)
            return None
        started = time.monotonic()
        try:
            decision = (
                CacheMissNoCommit()
                if debugged
                else decide(
                    step,
                    step_id,
                    forked=step.key in self._forked,
                    snapshot_exists=lambda tag: self._snapshot_exists(runner, tag),
                )
            )
        except PluginError as exc:
            self._plugin_failed(chain, step, step_id, started, exc)
            return None
        if isinstance(decision, CacheHit):
            cache_key = step.cache.key if step.cache is not None else None
            self._publish(StepCacheHit(step_id=step_id, key=cache_key or "", tag=decision.tag))
        if self._aborted(StepStart(step_id=step_id, runner=runner, image=step.image)):
            self._abort_step(chain, step, step_id)
            return None
        executor_input = ExecutorInput(
            step=step,
            workspace_archive_id=self._archive_id,
            env=dict(step.env or {}),
            workdir=WORKDIR,
            run_id=self._run_id,
            step_id=step_id,
            cache_lookup=decision,
            parent_snapshot=parent,
        )
        context = self._host.context(self._owner(runner), run_id=self._run_id, step_id=step_id)
        started = time.monotonic()
        ended = functools.partial(
            self._ended,
            chain,
            step,
            step_id,
            started,
            decision=decision,
            debugged=debugged,
            context=context,
            executor_input=executor_input,
        )
        try:
            result = self._execute(
                runner,
                context,
                executor_input,
                debugged=debugged,
                abandon=functools.partial(self._end_abandoned, ended, executor_input, segment),
            )
        except PluginError as exc:
            self._host.end_step(step_id)
            self._plugin_failed(chain, step, step_id, started, exc)
            return None
        except HarmontError:
            # The environment itself is gone (EngineUnavailable...): the build stops.
            self._host.end_step(step_id)
            self._finish(chain, step, step_id, started, exit_code=EXIT_FAILED, snapshot=None)
            raise
        return ended(result)

    def _ended(
        self,
        chain: Chain,
        step: CommandStep,
        step_id: uuid.UUID,
        started: float,
        result: StepResult,
        *,
        decision: CacheDecision,
        debugged: bool,
        context: PluginContext,
        executor_input: ExecutorInput,
    ) -> StepResult:
        """A step's runner returned *result* (or was given up on): report and judge it."""
        self._host.end_step(step_id)
        status = self._finish(
            chain,
            step,
            step_id,
            started,
            exit_code=result.exit_code,
            snapshot=result.committed_snapshot,
            cached=isinstance(decision, CacheHit),
        )
        if result.exit_code != 0:
            message = failure_message(
                step.key, status, exit_code=result.exit_code, timeout=step.timeout_seconds
            )
            self._chain_failed(chain, step, step_id, result.exit_code, message)
        # Before fail-fast stops anything, so the shell sees the build as the step left it.
        if debugged:
            self._shell_after(context, executor_input, result, status)
        elif status is StepStatus.FAILED:
            self._shell_on_failure(context, executor_input, result.exit_code)
        if result.exit_code != 0 and not self._keep_going:
            self._control.halt(Halt.FAILED, message)
        return result

    def _end_abandoned(
        self,
        ended: Callable[[StepResult], StepResult],
        executor_input: ExecutorInput,
        segment: Segment,
        abandoned: Abandoned,
    ) -> None:
        """On the main loop: end a step whose runner was given up on, and its chain there."""
        try:
            ended(self._registry.abandoned_step(executor_input, abandoned))
        except Exception as exc:  # as _chain_task: raised by run() once the build ended
            self._control.fail(exc)
        finally:
            self._messages.put(_Stopped(segment=segment, paused=False))

    def _execute(
        self,
        runner: str,
        context: PluginContext,
        executor_input: ExecutorInput,
        *,
        debugged: bool,
        abandon: Callable[[Abandoned], None],
    ) -> StepResult:
        """The step run by its runner, or (``hm debug``) a shell opened in its place."""
        if not debugged or self._shell is None or self._shell.after:
            return self._run_watched(runner, context, executor_input, abandon)
        self.shell_exit_code = open_shell(self._registry, context, executor_input, self._shell)
        # The shell ran in the step's place: its status is not the step's, which did not
        # run and so did not fail (a cancelled build still cancels it).
        return StepResult(exit_code=EXIT_CANCELLED if context.should_cancel() else 0)

    def _run_watched(
        self,
        runner: str,
        context: PluginContext,
        executor_input: ExecutorInput,
        abandon: Callable[[Abandoned], None],
    ) -> StepResult:
        """
        The runner's call on this chain's thread, bounded by the main loop: past the
        bound, it ends the step through *abandon* and this thread, whenever the call
        returns, unwinds with :class:`_Abandoned`.
        """
        watch = self._registry.watch_step(runner, context, executor_input)
        with self._lock:
            self._watches[watch] = abandon
        try:
            return self._registry.run_step(runner, context, executor_input)
        finally:
            with self._lock:
                del self._watches[watch]
            if not watch.returned():
                raise _Abandoned

    def _shell_after(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        result: StepResult,
        status: StepStatus,
    ) -> None:
        """``hm debug --after``: the step ran as a step; a shell where its command left off."""
        if self._shell is None or not self._shell.after:
            return
        if status is not StepStatus.PASSED and status is not StepStatus.FAILED:
            return  # timed out or cancelled: its environment is gone, and so is the build
        if result.exit_code == 0:  # the environment it left is its live snapshot
            executor_input = attrs.evolve(executor_input, parent_snapshot=result.committed_snapshot)
        with self._gate.hold():
            try:
                self.shell_exit_code = open_shell(
                    self._registry, context, executor_input, self._shell, ran_with=result.exit_code
                )
            except PluginError as exc:  # the step's result stands; say why there is no shell
                logging.getLogger(__name__).warning("no debug shell: %s", exc.message)

    def _shell_on_failure(
        self, context: PluginContext, executor_input: ExecutorInput, exit_code: int
    ) -> None:
        """``hm run -i``: a shell where the command failed, the rest of the build held."""
        if self._shell is None or not self._shell.on_failure:
            return
        with self._gate.hold():
            try:
                open_shell(
                    self._registry, context, executor_input, self._shell, failed_with=exit_code
                )
            except PluginError as exc:  # no shell: the step has failed anyway; say why
                logging.getLogger(__name__).warning("no debug shell: %s", exc.message)

    def _plugin_failed(
        self,
        chain: Chain,
        step: CommandStep,
        step_id: uuid.UUID,
        started: float,
        error: PluginError,
    ) -> None:
        """The runner's plugin failed on this step: the step fails, the build goes on."""
        # The error is a result now, not an exception the CLI reports: its hint (how to
        # fix it) travels in the same line, or nobody would see it.
        message = error.message if error.hint is None else f"{error.message} (hint: {error.hint})"
        self._finish(
            chain, step, step_id, started, exit_code=EXIT_FAILED, snapshot=None, error=message
        )
        self._step_failed(chain, step, step_id, EXIT_FAILED, message)

    def _step_failed(
        self, chain: Chain, step: CommandStep, step_id: uuid.UUID, exit_code: int, message: str
    ) -> None:
        self._chain_failed(chain, step, step_id, exit_code, message)
        if not self._keep_going:
            self._control.halt(Halt.FAILED, message)

    def _finish(
        self,
        chain: Chain,
        step: CommandStep,
        step_id: uuid.UUID,
        started: float,
        *,
        exit_code: int,
        snapshot: str | None,
        cached: bool = False,
        error: str | None = None,
    ) -> StepStatus:
        duration_ms = int((time.monotonic() - started) * 1000)
        status = (
            StepStatus.ERRORED if error is not None else _status(exit_code, step, cached=cached)
        )
        with self._lock:
            self._outcomes[step.key] = StepOutcome(
                key=step.key,
                chain_idx=chain.index,
                status=status,
                step_id=step_id,
                exit_code=exit_code,
                duration_ms=duration_ms,
                snapshot=snapshot,
                error=error,
            )
        self._publish(
            StepEnd(
                step_id=step_id, exit_code=exit_code, duration_ms=duration_ms, snapshot=snapshot
            )
        )
        return status

    def _chain_failed(
        self, chain: Chain, step: CommandStep, step_id: uuid.UUID, exit_code: int, message: str
    ) -> None:
        self._publish(
            ChainFailed(
                chain_idx=chain.index,
                failed_step_id=step_id,
                failed_step_key=step.key,
                exit_code=exit_code,
                message=message,
                ts=datetime.now(UTC),
            )
        )

    def _aborted(self, event: BuildEvent) -> bool:
        abort = self._publish(event)
        if abort is None:
            return False
        self._control.halt(Halt.ABORTED, f"a hook aborted the build: {abort.reason}")
        return True

    def _abort_step(self, chain: Chain, step: CommandStep, step_id: uuid.UUID) -> None:
        with self._lock:
            self._outcomes[step.key] = StepOutcome(
                key=step.key, chain_idx=chain.index, status=StepStatus.SKIPPED, step_id=step_id
            )
        self._chain_failed(
            chain, step, step_id, EXIT_FAILED, self._control.message or "aborted by a hook"
        )

    def _snapshot_exists(self, runner: str, tag: str) -> bool:
        hook = self._registry.plugin_manager.hook.hm_snapshot_exists
        try:
            with self._registry.traced(self._registry.owner_of_runner(runner), "snapshot_exists"):
                answer = hook(runner=runner, tag=tag)
        except (EngineUnavailable, Interrupted):
            raise
        except BaseException as exc:  # a plugin's SystemExit or KeyboardInterrupt is its failure
            detail = str(exc)
            if not isinstance(exc, Exception):  # `SystemExit: 4` says more than `4`
                detail = type(exc).__name__ + (f": {detail}" if detail else "")
            raise PluginRuntimeError(
                f"runner '{runner}': checking cache snapshot '{tag}' failed: {detail}",
                capability="snapshot_exists",
                code="unhandled_exception",
            ) from exc
        return answer is True


def _status(exit_code: int, step: CommandStep, *, cached: bool) -> StepStatus:
    if exit_code == 0:
        return StepStatus.CACHED if cached else StepStatus.PASSED
    if exit_code == EXIT_TIMED_OUT and step.timeout_seconds is not None:
        return StepStatus.TIMED_OUT
    if exit_code == EXIT_CANCELLED:
        return StepStatus.CANCELLED
    return StepStatus.FAILED
