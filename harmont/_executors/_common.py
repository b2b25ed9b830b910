"""
The plugin hooks every first-party runner exposes, written once.

``local`` and ``docker`` are plugin modules (their entry points name the module), and
both answer the same hooks the same way: the manifest, the pre-flight check of their own
runner, a step handed to the executor object that does the work, ``build_end`` releasing
what the run created, and the cache lookup for their own runner only. A runner module
makes one :class:`RunnerHooks` over its executor and binds its bound methods as module
attributes (:meth:`RunnerHooks.export`), which pluggy collects as it collects functions
(parameter names and all, ``self`` aside).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol, final

from harmont.hookspecs import hookimpl
from harmont.protocol import BuildEnd, HookContinue, StepExecutorSpec

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Mapping

    from harmont._orchestrator._preflight import PullPolicy, PullProgress
    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput, HookEvent, HookOutcome, PluginManifest, StepResult

__all__ = ["Executor", "RunnerHooks"]


class Executor(Protocol):
    """What a runner's hooks delegate to."""

    def execute(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """Run one step per the executor contract."""

    def end_run(self, run_id: uuid.UUID) -> None:
        """Remove what *run_id* created, except the persistent cache; errors are ignored."""

    def snapshot_exists(self, tag: str) -> bool:
        """Whether cache snapshot *tag* is stored, so that its step may be skipped."""

    def check(
        self,
        images: Mapping[str, str | None],
        *,
        pull: PullPolicy,
        on_pull: Callable[[PullProgress], None],
    ) -> None:
        """Fail now if the chain roots *images* (step key to image) cannot start; pull them."""

    def open_shell(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        program: str,
        run_command: bool,
    ) -> int:
        """Open *program* on the terminal where the step runs; see ``hm_open_shell``."""


@final
class RunnerHooks:
    """
    The hooks of the runner that *manifest* declares, over *executor*.

    :raises ValueError: the manifest declares no runner, or more than one.
    """

    def __init__(self, manifest: PluginManifest, executor: Executor) -> None:
        runners = [c.runner for c in manifest.capabilities if isinstance(c, StepExecutorSpec)]
        if len(runners) != 1:
            raise ValueError(f"plugin '{manifest.name}': expected one runner, got {runners}")
        self.runner: Final = runners[0]
        self._manifest = manifest
        self._executor = executor

    def export(self, namespace: dict[str, object]) -> None:
        """
        Bind every hook as a global of the plugin module whose ``globals()`` is *namespace*.

        The entry point names the module, so the module is the plugin pluggy inspects; a hook
        added to this class reaches both runners with no edit to either. The hooks are what
        pluggy finds on the module, not names to import, so no ``__all__`` lists them.
        """
        for name in vars(RunnerHooks):
            if name.startswith("hm_"):
                namespace[name] = getattr(self, name)

    @hookimpl
    def hm_plugin_manifest(self) -> PluginManifest:
        """Declare the runner and the ``build_end`` hook that cleans up after a run."""
        return self._manifest

    @hookimpl
    def hm_execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        """Run one step on the executor."""
        return self._executor.execute(context, executor_input)

    @hookimpl
    def hm_on_hook_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        """At ``build_end``, remove what the run created; the persistent cache stays."""
        if isinstance(hook_event.event, BuildEnd) and context.run_id is not None:
            self._executor.end_run(context.run_id)
        return HookContinue()

    @hookimpl
    def hm_check_runner(
        self,
        runner: str,
        images: Mapping[str, str | None],
        pull: PullPolicy,
        on_pull: Callable[[PullProgress], None],
    ) -> None:
        """Before the build starts, let the executor check what the roots of its runner need."""
        if runner == self.runner:
            self._executor.check(images, pull=pull, on_pull=on_pull)

    @hookimpl
    def hm_open_shell(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        program: str,
        run_command: bool,
    ) -> int | None:
        """A shell where the step runs, for its own runner only; None for the others."""
        if executor_input.step.runner != self.runner:
            return None
        return self._executor.open_shell(context, executor_input, program, run_command)

    @hookimpl
    def hm_snapshot_exists(self, runner: str, tag: str) -> bool | None:
        """Whether cache snapshot *tag* exists; None for runners this plugin does not own."""
        if runner != self.runner:
            return None
        return self._executor.snapshot_exists(tag)
