"""What a build returns to its caller: the exit code, each step's outcome, the events."""

from __future__ import annotations

import enum
import uuid
from typing import ClassVar, Final, TypeAlias

import attrs

from harmont.protocol import BuildEvent

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_PLUGIN_FAILED",
    "EXIT_TIMED_OUT",
    "SKIPPED_BY_SELECTION",
    "BuildResult",
    "RunEvent",
    "StepOutcome",
    "StepSkipped",
    "StepStatus",
    "failure_message",
    "failure_status",
]

#: Every step passed (or was a cache hit).
EXIT_OK: Final = 0
#: A step failed or timed out, the pipeline timed out, a hook aborted or failed.
EXIT_FAILED: Final = 1
#: A runner's plugin failed on a step (raised, crashed, timed out): the step failed
#: without a verdict on its command. Outranks :data:`EXIT_FAILED`, is outranked by
#: :data:`EXIT_CANCELLED`; the same number as ``hm``'s plugin runtime error exit code.
EXIT_PLUGIN_FAILED: Final = 6
#: The caller cancelled the build (Ctrl-C); also a step's code when it was cancelled.
EXIT_CANCELLED: Final = 130
#: A step's code when its executor killed it at its ``timeout_seconds`` (as coreutils
#: ``timeout`` reports); the executor contract fixes both step codes.
EXIT_TIMED_OUT: Final = 124


class StepStatus(enum.Enum):
    """How one step of the plan ended."""

    #: Ran and exited 0.
    PASSED = "passed"
    #: Not run: its cached snapshot was reused.
    CACHED = "cached"
    #: Ran and exited non-zero.
    FAILED = "failed"
    #: Killed by its own ``timeout_seconds``.
    TIMED_OUT = "timed_out"
    #: Killed by cancellation: Ctrl-C, fail-fast, the pipeline timeout or a hook's abort.
    CANCELLED = "cancelled"
    #: Its runner's plugin failed (raised, crashed, timed out); the exit code is 1 and
    #: :attr:`StepOutcome.error` says what happened.
    ERRORED = "errored"
    #: Never started: the build stopped first, a chain it needs did not succeed, or it
    #: was not selected (:attr:`StepOutcome.selected`).
    SKIPPED = "skipped"


def failure_message(
    key: str, status: StepStatus, *, exit_code: int, timeout: int | None = None
) -> str:
    """
    The ``chain_failed`` message of a step whose command failed, timed out or was cancelled.

    :param timeout: the step's ``timeout_seconds``, named in a timeout's message.
    """
    if status is StepStatus.TIMED_OUT:
        return f"{_timed_out(key)}{timeout}s"
    if status is StepStatus.CANCELLED:
        return f"step '{key}' was cancelled"
    return f"step '{key}' exited with code {exit_code}"


def failure_status(key: str, exit_code: int, message: str) -> StepStatus:
    """
    The status the scheduler gave a failed step, read back from its ``chain_failed``.

    The event stream carries no status: the scheduler alone decides it (124 is a timeout
    only for a step that has a timeout) and builds the message with
    :func:`failure_message`. Any other message is a plugin error's: the step errored.
    """
    if exit_code == EXIT_TIMED_OUT and message.startswith(_timed_out(key)):
        return StepStatus.TIMED_OUT
    if exit_code == EXIT_CANCELLED and message == failure_message(
        key, StepStatus.CANCELLED, exit_code=exit_code
    ):
        return StepStatus.CANCELLED
    if message == failure_message(key, StepStatus.FAILED, exit_code=exit_code):
        return StepStatus.FAILED
    return StepStatus.ERRORED


def _timed_out(key: str) -> str:
    return f"step '{key}' timed out after "


#: :attr:`StepSkipped.reason` of a step that ``only`` left out.
SKIPPED_BY_SELECTION: Final = "selection"


@attrs.frozen(kw_only=True)
class StepSkipped:
    """
    A step of the pipeline that this run leaves out, announced right after ``build_start``.

    Not a wire event: plugins' hooks never receive it (the step never reaches a runner),
    but renderers, ``--format json`` and :func:`harmont.run`'s ``on_event`` do, so every
    output form says why the step did not run instead of leaving it out silently.
    """

    KIND: ClassVar[str] = "step_skipped"

    #: The step key.
    key: str
    #: Why: :data:`SKIPPED_BY_SELECTION`, the step is not among ``only`` and their needs.
    reason: str


#: What a run delivers to its subscribers: every build event, and the steps it leaves out.
RunEvent: TypeAlias = BuildEvent | StepSkipped


@attrs.frozen(kw_only=True)
class StepOutcome:
    """One step of the plan and how it ended."""

    #: The step key.
    key: str
    #: The index of the step's chain in the plan; -1 for a step ``only`` left out.
    chain_idx: int
    status: StepStatus
    #: The id of its execution; None when it never started.
    step_id: uuid.UUID | None = None
    #: The executor's exit code; None when it never ran.
    exit_code: int | None = None
    #: Wall time of the execution, cache hits included; None when it never ran.
    duration_ms: int | None = None
    #: The snapshot the executor reported, if any.
    snapshot: str | None = None
    #: The plugin error that failed the step (status :attr:`StepStatus.ERRORED`), in one
    #: line: the error's message, then ``(hint: ...)`` when it says how to fix it.
    error: str | None = None
    #: False for a step that ``only`` left out (status :attr:`StepStatus.SKIPPED`).
    selected: bool = True


@attrs.frozen(kw_only=True)
class BuildResult:
    """
    The outcome of :func:`harmont.run`: a failed build is a result, not an exception.

    ``exit_code`` is what ``hm run`` exits with (the ``build_end`` event carries it too):
    :data:`EXIT_OK`, :data:`EXIT_FAILED`, :data:`EXIT_PLUGIN_FAILED` or
    :data:`EXIT_CANCELLED`; when several apply, cancelled wins over a plugin failure,
    which wins over any other failure.
    """

    run_id: uuid.UUID
    exit_code: int
    #: Every step of the plan, in plan order (chain by chain).
    steps: tuple[StepOutcome, ...]
    #: Every event of the build, in the order subscribers saw them; ``step_log`` events
    #: only when :func:`harmont.run` was asked to ``keep_logs``.
    events: tuple[BuildEvent, ...]
    duration_ms: int
    #: Why the build failed or stopped, in one line; None when it passed.
    failure: str | None = None
    #: The exit status of the shell opened where a step runs (``debug_shell.at``, `hm
    #: debug`); None when no such shell opened.
    shell_exit_code: int | None = None

    @property
    def ok(self) -> bool:
        """Whether every step passed."""
        return self.exit_code == EXIT_OK

    def step(self, key: str) -> StepOutcome:
        """The outcome of step *key*; :class:`KeyError` if the plan has no such step."""
        for outcome in self.steps:
            if outcome.key == key:
                return outcome
        raise KeyError(key)
