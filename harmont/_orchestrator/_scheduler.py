"""
The scheduler: runs a plan's chains on a bounded pool and reports every step as events.

A chain starts once every chain it waits for has finished, on one of ``parallelism``
worker threads; its steps run in order, each started from the snapshot the previous one
(or, for the first, the fork parent) committed. What ends a build early, first cause wins:

- a failed step, by default (fail-fast): running steps of other chains are cancelled and
  unstarted chains are skipped, except chains behind a ``continue_on_failure`` wait, which
  still run once the cancelled ones have stopped; with ``keep_going`` independent chains
  finish and only the dependants of the failed chain are skipped (again unless their wait
  has ``continue_on_failure``);
- the pipeline's ``timeout_seconds``: everything running is cancelled;
- the caller's cancel event (Ctrl-C): everything running is cancelled, exit 130;
- a ``before`` hook's abort, or a plugin error: everything running is cancelled.

Cancellation is one event shared with the host (``context.should_cancel()``): executors
poll it, kill their step and report exit code 130.

Event fields, as emitted here (SPEC.md §2.7, with its Gap 15 settled):

- ``step_queued.chain_idx`` is the index of the step's chain in the plan (the same index as
  ``chain_failed.chain_idx``), not the step's position inside its chain;
- ``step_cache_hit.key`` is the step's cache key (``cache.key``); ``tag`` the snapshot reused;
- ``step_start.runner`` is the resolved runner, ``image`` the step's image after the
  default image was stamped on chain roots;
- ``step_end`` follows every ``step_start``; ``exit_code`` is the executor's (124: step
  timeout, 130: cancelled), ``snapshot`` what the executor committed (live or durable);
- ``chain_failed`` follows the ``step_end`` of a failed step (or a step a hook aborted, with
  exit code 1); ``message`` says why in one line;
- ``build_end.exit_code`` is the build's outcome (0, 1 or 130), and is always emitted.
"""

from __future__ import annotations

import enum
import heapq
import queue
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import HarmontError, PluginRuntimeError
from harmont._orchestrator._cache import decide
from harmont._orchestrator._result import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TIMED_OUT,
    StepOutcome,
    StepStatus,
)
from harmont.protocol import (
    CacheHit,
    ChainFailed,
    ExecutorInput,
    StepCacheHit,
    StepEnd,
    StepQueued,
    StepStart,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._ir._plan import Chain, Plan
    from harmont._plugins._host import Host
    from harmont._plugins._manager import Registry
    from harmont.protocol import BuildEvent, CommandStep, HookAbort, StepResult

__all__ = ["Halt", "RunControl", "Scheduler"]

#: The workdir every executor is given (the container path; local maps it to a directory).
WORKDIR: Final = "/workspace"
#: How often the main loop checks the caller's cancel event and the pipeline deadline.
_TICK_SECONDS: Final = 0.05


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

    ``stop`` is the host's cancel event. The first reason to stop wins; a plugin error is
    kept to be raised once the build has ended.
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


class _ChainState(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@attrs.frozen(kw_only=True)
class _ChainDone:
    index: int
    succeeded: bool


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
    ) -> None:
        self._plan = plan
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
        self._done: queue.Queue[_ChainDone] = queue.Queue()

    # -- the main loop -------------------------------------------------------------------

    def run(self) -> tuple[int, tuple[StepOutcome, ...]]:
        """Run every chain that should run; return the exit code and each step's outcome."""
        chains = self._plan.chains
        states = [_ChainState.PENDING] * len(chains)
        timeout = self._plan.timeout_seconds
        deadline = None if timeout is None else time.monotonic() + timeout
        # Chains whose dependencies have all finished, lowest index first; counting the
        # unfinished dependencies keeps each loop turn proportional to what changed.
        unfinished = [len(chain.depends_on) for chain in chains]
        dependants: list[list[int]] = [[] for _ in chains]
        for chain in chains:
            for dependency in chain.depends_on:
                dependants[dependency.chain].append(chain.index)
        ready = [chain.index for chain in chains if not chain.depends_on]
        held: list[int] = []  # ready, but waiting for fail-fast's cancellations to drain

        def finished(index: int, state: _ChainState) -> None:
            states[index] = state
            for dependant in dependants[index]:
                unfinished[dependant] -= 1
                if unfinished[dependant] == 0:
                    heapq.heappush(ready, dependant)

        running = 0
        with ThreadPoolExecutor(self._parallelism, thread_name_prefix="hm-chain") as pool:
            while True:
                self._watch(deadline, timeout)
                if running == 0 and self._control.reason is Halt.FAILED:
                    # Fail-fast has cancelled everything that was running; chains behind
                    # a continue_on_failure wait may still run, with cancellation cleared.
                    self._control.stop.clear()
                    for index in held:
                        heapq.heappush(ready, index)
                    held.clear()
                while ready and running < self._parallelism:
                    index = heapq.heappop(ready)
                    verdict = self._readiness(chains[index], states, draining=running > 0)
                    if verdict is None:
                        held.append(index)
                    elif verdict is _ChainState.SKIPPED:
                        finished(index, _ChainState.SKIPPED)
                    else:
                        states[index] = _ChainState.RUNNING
                        running += 1
                        pool.submit(self._chain_task, chains[index])
                if running == 0 and not ready and not held:
                    break
                try:
                    done = self._done.get(timeout=_TICK_SECONDS)
                except queue.Empty:
                    continue
                except KeyboardInterrupt:  # no handler installed: treat it as cancellation
                    self._control.halt(Halt.CANCELLED, "cancelled")
                    continue
                running -= 1
                finished(
                    done.index, _ChainState.SUCCEEDED if done.succeeded else _ChainState.FAILED
                )
        return self._exit_code(), self._collect()

    def _watch(self, deadline: float | None, timeout: int | None) -> None:
        if self._cancel is not None and self._cancel.is_set():
            self._control.halt(Halt.CANCELLED, "cancelled")
        elif deadline is not None and time.monotonic() >= deadline:
            self._control.halt(Halt.TIMED_OUT, f"pipeline timed out after {timeout}s")

    def _readiness(
        self, chain: Chain, states: list[_ChainState], *, draining: bool
    ) -> _ChainState | None:
        """
        For a chain whose dependencies have finished: RUNNING to start it now, SKIPPED to
        skip it, None to hold it until the chains fail-fast cancelled have stopped.
        """
        needs = [(states[d.chain], d.requires_success) for d in chain.depends_on]
        if any(req and state is not _ChainState.SUCCEEDED for state, req in needs):
            return _ChainState.SKIPPED
        reason = self._control.reason
        if reason is None:
            return _ChainState.RUNNING
        if reason is Halt.FAILED and any(not req for _, req in needs):
            # Behind a continue_on_failure wait: runs once the cancelled chains are gone.
            return None if draining else _ChainState.RUNNING
        return _ChainState.SKIPPED

    def _exit_code(self) -> int:
        reason = self._control.reason
        if reason is Halt.CANCELLED:
            return EXIT_CANCELLED
        if reason is not None:
            return EXIT_FAILED
        failed = (StepStatus.FAILED, StepStatus.TIMED_OUT, StepStatus.CANCELLED)
        if any(outcome.status in failed for outcome in self._outcomes.values()):
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

    def _chain_task(self, chain: Chain) -> None:
        succeeded = False
        try:
            succeeded = self._run_chain(chain)
        except Exception as exc:  # plugin errors, and bugs: raised by run() once the build ended
            self._control.fail(exc)
        finally:
            self._done.put(_ChainDone(index=chain.index, succeeded=succeeded))

    def _run_chain(self, chain: Chain) -> bool:
        parent: str | None = None
        if chain.fork_parent is not None:
            with self._lock:
                parent = self._snapshots.get(chain.fork_parent)
        for step in chain.steps:
            if self._control.stop.is_set():
                return False
            result = self._run_step(chain, step, parent)
            if result is None or result.exit_code != 0:
                return False
            parent = result.committed_snapshot
            if parent is not None and step.key in self._forked:
                with self._lock:
                    self._snapshots[step.key] = parent
        return True

    def _run_step(self, chain: Chain, step: CommandStep, parent: str | None) -> StepResult | None:
        step_id = uuid.uuid4()
        runner = step.runner or self._plan.default_runner
        if self._aborted(StepQueued(step_id=step_id, key=step.key, chain_idx=chain.index)):
            self._abort_step(chain, step, step_id)
            return None
        decision = decide(
            step,
            step_id,
            forked=step.key in self._forked,
            snapshot_exists=lambda tag: self._snapshot_exists(runner, tag),
        )
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
        context = self._host.context(
            self._registry.owner_of_runner(runner), run_id=self._run_id, step_id=step_id
        )
        started = time.monotonic()
        try:
            result = self._registry.execute_step(runner, context, executor_input)
        except HarmontError:
            self._host.end_step(step_id)
            self._finish(chain, step, step_id, started, exit_code=EXIT_FAILED, snapshot=None)
            raise
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
            message = _failure(step, status, result.exit_code)
            self._chain_failed(chain, step, step_id, result.exit_code, message)
            if not self._keep_going:
                self._control.halt(Halt.FAILED, message)
        return result

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
    ) -> StepStatus:
        duration_ms = int((time.monotonic() - started) * 1000)
        status = _status(exit_code, step, cached=cached)
        with self._lock:
            self._outcomes[step.key] = StepOutcome(
                key=step.key,
                chain_idx=chain.index,
                status=status,
                step_id=step_id,
                exit_code=exit_code,
                duration_ms=duration_ms,
                snapshot=snapshot,
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
            answer = hook(runner=runner, tag=tag)
        except Exception as exc:
            raise PluginRuntimeError(
                f"runner '{runner}': checking cache snapshot '{tag}' failed: {exc}",
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


def _failure(step: CommandStep, status: StepStatus, exit_code: int) -> str:
    if status is StepStatus.TIMED_OUT:
        return f"step '{step.key}' timed out after {step.timeout_seconds}s"
    if status is StepStatus.CANCELLED:
        return f"step '{step.key}' was cancelled"
    return f"step '{step.key}' exited with code {exit_code}"
