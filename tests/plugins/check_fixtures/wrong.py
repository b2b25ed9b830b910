"""
Python plugins that are each wrong in one way, for `hm plugin check FILE.py:ATTR`.

Each is a plausible mistake, not a crash on purpose: a field of the wrong type, a hook
that exits, state kept for "the" current call, a runner that never looks at
should_cancel.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from harmont_sdk import (
    ExitInfo,
    HookContinue,
    LifecycleHook,
    StepExecutor,
    StepResult,
    Subcommand,
    executor,
    hook,
    manifest,
    subcommand,
)

if TYPE_CHECKING:
    from harmont_sdk import (
        ExecutorInput,
        HookEvent,
        HookOutcome,
        PluginContext,
        SubcommandInput,
    )


class BadShapeRunner(StepExecutor):
    """Reports the exit code as the string the shell printed, not as an integer."""

    manifest = manifest("check-bad-shape", "0.1.0", executor("bad-shape"))

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        return StepResult(exit_code="0")  # type: ignore[arg-type]


class ExitingHook(LifecycleHook):
    """Calls sys.exit() when a step ends, as a script would: a BaseException in hm."""

    manifest = manifest("check-exiting-hook", "0.1.0", hook(["step_start", "step_end"]))

    def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        if hook_event.event.KIND == "step_end":
            sys.exit(3)
        return HookContinue()


class OneCallAtATime(Subcommand):
    """Keeps the call in progress on the instance, so two calls at once trip over it."""

    manifest = manifest("check-one-at-a-time", "0.1.0", subcommand("one", "Works alone."))

    def __init__(self) -> None:
        self._current: SubcommandInput | None = None
        self._lock = threading.Lock()

    def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
        with self._lock:
            busy, self._current = self._current is not None, subcommand_input
        time.sleep(0.05)  # the work, meant to be done for self._current alone
        self._current = None
        if busy:
            return ExitInfo(exit_code=1, message="another call was in progress")
        return ExitInfo(exit_code=0)


class DeafRunner(StepExecutor):
    """Runs `sleep N` by sleeping N seconds, never looking at should_cancel."""

    manifest = manifest("check-deaf-runner", "0.1.0", executor("deaf"))

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        words = executor_input.step.cmd.split()
        if words[0] == "sleep":
            time.sleep(float(words[1]))
        return StepResult(exit_code=0)


class SharedStateRunner(StepExecutor):
    """Runs `exit N` from the command it was last given, which another thread may have set."""

    manifest = manifest("check-shared-state", "0.1.0", executor("shared"))

    def __init__(self) -> None:
        self._command = ""

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        self._command = executor_input.step.cmd
        time.sleep(0.05)  # the work
        words = self._command.split()
        return StepResult(exit_code=int(words[1]) if words[0] == "exit" else 0)
