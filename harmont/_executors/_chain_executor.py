"""
The executor contract as the container runners keep it, written once.

``docker`` and ``kubernetes`` run each chain in one live environment (a container, a pod)
whose :class:`~._token_session.TokenSession` runs the chain's steps, and they answer a
step's cache decision and outcome alike: a cache hit runs nothing (and frees a live parent
it does not need), a failed step's environment is kept for a debug shell or removed, a
step built as a tag stores its environment under it and removes it, and any other step
hands its environment to the next step of its chain under a one-use *live* ref.
:class:`ChainExecutor` is that flow; a runner supplies how its environments start, stop,
store and go.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from harmont._errors import PluginRuntimeError
from harmont._executors._process import EXIT_TIMED_OUT
from harmont._executors._shell_session import StepScript
from harmont.protocol import CacheHit, CacheMissBuildAs, StdStream, StepResult

if TYPE_CHECKING:
    import threading
    import uuid

    from harmont._executors._token_session import TokenSession
    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput

__all__ = ["ChainEnvironment", "ChainExecutor"]


class ChainEnvironment(Protocol):
    """A chain's live environment, as :class:`ChainExecutor` needs it."""

    @property
    def name(self) -> str:
        """Unique among the environments of the run: live refs are made from it."""

    @property
    def session(self) -> TokenSession:
        """The chain's shell, which runs every step of the chain in the environment."""


Env = TypeVar("Env", bound=ChainEnvironment)


class ChainExecutor(abc.ABC, Generic[Env]):
    """
    :meth:`execute` for a runner whose chains each live in one environment of type *Env*.

    A subclass sets the class variables and, in its ``__init__``, the three attributes
    below (under its own lock, which may also guard its own state).
    """

    #: The runner's plugin name, which starts its errors' messages.
    plugin: ClassVar[str]
    #: The error code of a step the session could not run.
    exec_code: ClassVar[str]
    #: The error code of a live ref that is unknown or consumed.
    snapshot_code: ClassVar[str]
    #: What starts the runner's live refs.
    live_prefix: ClassVar[str]

    _lock: threading.Lock
    #: Environments handed to the next step of their chain, by live ref.
    _live: dict[str, Env]
    #: Failed steps' environments kept for a debug shell (``hm run -i``), by step id.
    _failed: dict[uuid.UUID, Env]

    @abc.abstractmethod
    def _begin(self, run_id: uuid.UUID) -> None:
        """Note that *run_id* is in flight, before anything of it is created."""

    @abc.abstractmethod
    def _acquire(self, context: PluginContext, executor_input: ExecutorInput) -> Env:
        """The environment of the step: its live parent's, or a new one with the source."""

    @abc.abstractmethod
    def _stop(self, env: Env) -> None:
        """Remove *env* under a running step, killing all it runs (its stream then ends)."""

    @abc.abstractmethod
    def _remove(self, env: Env) -> None:
        """Close *env*'s session and remove it; errors are ignored."""

    @abc.abstractmethod
    def _store(self, env: Env, tag: str) -> None:
        """Store *env*'s state as the durable snapshot *tag*."""

    def _release(self, env: Env) -> None:
        """
        Remove *env*, whose state :meth:`_store` has kept: nothing in it can be lost, so a
        runner may let the removal finish after the step has returned (the snapshot's
        consumers start meanwhile), as long as its run's end waits for it.
        """
        self._remove(env)

    def _step_env(self, context: PluginContext, executor_input: ExecutorInput) -> dict[str, str]:
        """The variables the step's script sets: all of the step's env."""
        del context
        return executor_input.env

    def execute(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """Run one step per the executor contract (see the module docstring)."""
        step = executor_input.step
        decision = executor_input.cache_lookup
        self._begin(executor_input.run_id)
        if isinstance(decision, CacheHit):
            # A live parent has exactly one consumer: this step, which does not need it.
            parent = executor_input.parent_snapshot
            if parent is not None and parent.startswith(self.live_prefix):
                self._remove(self._take_live(step.key, parent))
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        env = self._acquire(context, executor_input)
        stderr_at_line_start = [True]

        def forward(stream: StdStream, data: bytes) -> None:
            if stream is StdStream.STDERR:
                stderr_at_line_start[0] = data.endswith(b"\n")
            context.emit_step_log(stream, data)

        try:
            script = StepScript(
                cmd=step.cmd,
                env=self._step_env(context, executor_input),
                cwd=executor_input.workdir,
            )
            outcome = env.session.run(
                script,
                on_output=forward,
                should_cancel=context.should_cancel,
                stop=lambda: self._stop(env),
                timeout_seconds=step.timeout_seconds,
            )
        except ValueError as exc:  # a NUL byte, which no command or variable can hold
            self._remove(env)
            raise PluginRuntimeError(
                f"{self.plugin}: step '{step.key}': {exc}", plugin=self.plugin, code=self.exec_code
            ) from exc
        except BaseException:
            self._remove(env)
            raise
        if outcome.timed_out and outcome.exit_code == EXIT_TIMED_OUT:
            lead = b"" if stderr_at_line_start[0] else b"\n"
            message = f"step timed out after {step.timeout_seconds}s\n".encode()
            context.emit_step_log(StdStream.STDERR, lead + message)
        if outcome.exit_code != 0:
            if context.keep_failed and not (outcome.cancelled or outcome.timed_out):
                # `hm debug`/`hm run -i` opens a shell in it next (see open_shell).
                with self._lock:
                    self._failed[executor_input.step_id] = env
            else:
                self._remove(env)
            return StepResult(exit_code=outcome.exit_code)
        if isinstance(decision, CacheMissBuildAs):
            try:
                self._store(env, decision.tag)
            except BaseException:
                self._remove(env)
                raise
            self._release(env)
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        # One ref per step, so that a consumed ref stays consumed.
        ref = f"{self.live_prefix}{env.name}/{executor_input.step_id.hex}"
        with self._lock:
            self._live[ref] = env
        return StepResult(exit_code=0, committed_snapshot=ref)

    def _take_live(self, step_key: str, ref: str) -> Env:
        """The environment under live ref *ref*, which no other step may take after."""
        with self._lock:
            env = self._live.pop(ref, None)
        if env is None:
            raise PluginRuntimeError(
                f"step '{step_key}': live snapshot '{ref}' is unknown or was already consumed",
                plugin=self.plugin,
                code=self.snapshot_code,
            )
        return env
