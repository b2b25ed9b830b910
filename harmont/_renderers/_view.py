"""
The build as renderers see it: the event stream folded into per-step state.

Every renderer keeps one :class:`BuildView` and feeds it each event first; the view knows
each step's key, status, timing and the tail of its output, which is what a status line,
the replay of a failed step's logs and the closing summary are made of.

Output is kept only as a bounded tail per step (:data:`REPLAY_LINES` lines and
:data:`REPLAY_BYTES` bytes, whichever is hit first), and dropped as soon as a step
passes: a step printing a million lines costs a renderer no more than one printing a
thousand.
"""

from __future__ import annotations

import collections
import time
import uuid
from typing import TYPE_CHECKING, Final

import attrs

from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_TIMED_OUT, StepStatus
from harmont.protocol import (
    BuildEnd,
    BuildStart,
    ChainFailed,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
)

if TYPE_CHECKING:
    from harmont.protocol import BuildEvent, PlanSummary

__all__ = ["REPLAY_BYTES", "REPLAY_LINES", "BuildView", "StepView", "Tail", "format_duration"]

#: Lines of output kept per step for the replay of a failed step; older ones are counted.
REPLAY_LINES: Final = 1000
#: Bytes of output (UTF-8) kept per step, for steps that print long lines.
REPLAY_BYTES: Final = 1 << 20

#: The statuses a replay and a summary treat as failures.
FAILED_STATUSES: Final = frozenset(
    {StepStatus.FAILED, StepStatus.TIMED_OUT, StepStatus.CANCELLED, StepStatus.ERRORED}
)


class Tail:
    """The last lines of a step's output, bounded in count and size; the rest is counted."""

    def __init__(self) -> None:
        self.lines: collections.deque[str] = collections.deque()
        self.size = 0
        #: Lines that fell out of :attr:`lines`.
        self.dropped = 0

    def append(self, line: str) -> None:
        """Keep *line*, forgetting the oldest ones beyond the bounds."""
        self.lines.append(line)
        self.size += len(line.encode("utf-8", "replace"))
        while len(self.lines) > REPLAY_LINES or (self.size > REPLAY_BYTES and len(self.lines) > 1):
            self.size -= len(self.lines.popleft().encode("utf-8", "replace"))
            self.dropped += 1

    def clear(self) -> None:
        """Forget everything (the step passed: its output is never replayed)."""
        self.lines.clear()
        self.size = 0


@attrs.define(kw_only=True)
class StepView:
    """One step execution, from its ``step_queued`` on."""

    step_id: uuid.UUID
    key: str
    chain_idx: int
    #: None until ``step_end``.
    status: StepStatus | None = None
    runner: str | None = None
    cached: bool = False
    #: Monotonic time of ``step_start``.
    started: float | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    #: The last lines of output, for the replay of a failed step.
    output: Tail = attrs.field(factory=Tail)

    def elapsed(self) -> float:
        """Seconds since the step started (0 before it did)."""
        return 0.0 if self.started is None else time.monotonic() - self.started


class BuildView:
    """Per-step state of one build, updated event by event."""

    def __init__(self) -> None:
        self.plan: PlanSummary | None = None
        self.steps: dict[uuid.UUID, StepView] = {}
        self.failures: list[ChainFailed] = []
        self.end: BuildEnd | None = None

    def apply(self, event: BuildEvent) -> StepView | None:
        """Fold *event* in; return the step it concerns, if any (None for unknown ids)."""
        if isinstance(event, BuildStart):
            self.plan = event.plan
            return None
        if isinstance(event, StepQueued):
            view = StepView(step_id=event.step_id, key=event.key, chain_idx=event.chain_idx)
            self.steps[event.step_id] = view
            return view
        if isinstance(event, ChainFailed):
            self.failures.append(event)
            return self.steps.get(event.failed_step_id)
        if isinstance(event, BuildEnd):
            self.end = event
            return None
        found = self.steps.get(event.step_id)
        if found is None:
            return None
        view = found
        if isinstance(event, StepStart):
            view.runner, view.started = event.runner, time.monotonic()
        elif isinstance(event, StepCacheHit):
            view.cached = True
        elif isinstance(event, StepLog):
            view.output.append(event.line)
        elif isinstance(event, StepEnd):
            view.exit_code, view.duration_ms = event.exit_code, event.duration_ms
            view.status = _final_status(view, event.exit_code)
            if view.status not in FAILED_STATUSES:
                view.output.clear()
        return view

    def failed(self) -> list[StepView]:
        """Steps that ended non-zero, in the order they were queued."""
        return [v for v in self.steps.values() if v.status in FAILED_STATUSES]


def _final_status(view: StepView, exit_code: int) -> StepStatus:
    # The executor contract reserves 124 for a step its executor killed at its own
    # timeout and 130 for a cancelled one; the event stream carries nothing finer.
    if exit_code == 0:
        return StepStatus.CACHED if view.cached else StepStatus.PASSED
    if exit_code == EXIT_TIMED_OUT:
        return StepStatus.TIMED_OUT
    if exit_code == EXIT_CANCELLED:
        return StepStatus.CANCELLED
    return StepStatus.FAILED


def format_duration(milliseconds: float) -> str:
    """``850ms``, ``12.3s``, ``4m05s``: short enough for a status column."""
    if milliseconds < 1000:
        return f"{int(milliseconds)}ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"
