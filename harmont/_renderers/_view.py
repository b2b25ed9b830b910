"""
The build as renderers see it: the event stream folded into per-step state.

Every renderer keeps one :class:`BuildView` and feeds it each event first; the view knows
each step's key, status, timing and buffered output, which is what a status line, the
replay of a failed step's logs and the closing summary are made of.
"""

from __future__ import annotations

import collections
import enum
import time
import uuid
from typing import TYPE_CHECKING, Final

import attrs

from harmont.protocol import (
    BuildEnd,
    BuildStart,
    ChainFailed,
    StdStream,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
)

if TYPE_CHECKING:
    from harmont.protocol import BuildEvent, PlanSummary

__all__ = ["REPLAY_LINES", "BuildView", "Status", "StepView", "format_duration"]

#: Lines of output kept per step for the replay of a failed step; older ones are counted.
REPLAY_LINES: Final = 2000

#: The exit code executors report for a cancelled step (executor contract).
_CANCELLED: Final = 130


class Status(enum.Enum):
    """Where a step is, as the renderers show it."""

    QUEUED = "queued"
    RUNNING = "running"
    PASSED = "passed"
    CACHED = "cached"
    FAILED = "failed"
    CANCELLED = "cancelled"


@attrs.define(kw_only=True)
class StepView:
    """One step execution, from its ``step_queued`` on."""

    step_id: uuid.UUID
    key: str
    chain_idx: int
    status: Status = Status.QUEUED
    runner: str | None = None
    cached: bool = False
    #: Monotonic time of ``step_start``.
    started: float | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    #: The last :data:`REPLAY_LINES` lines of output, with their stream.
    lines: collections.deque[tuple[StdStream, str]] = attrs.field(
        factory=lambda: collections.deque(maxlen=REPLAY_LINES)
    )
    #: Lines that fell out of :attr:`lines`.
    dropped: int = 0

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
            view.status, view.runner, view.started = Status.RUNNING, event.runner, time.monotonic()
        elif isinstance(event, StepCacheHit):
            view.cached = True
        elif isinstance(event, StepLog):
            if len(view.lines) == REPLAY_LINES:
                view.dropped += 1
            view.lines.append((event.stream, event.line))
        elif isinstance(event, StepEnd):
            view.exit_code, view.duration_ms = event.exit_code, event.duration_ms
            view.status = _final_status(view, event.exit_code)
        return view

    def failed(self) -> list[StepView]:
        """Steps that ended non-zero, in the order they were queued."""
        return [v for v in self.steps.values() if v.status in (Status.FAILED, Status.CANCELLED)]


def _final_status(view: StepView, exit_code: int) -> Status:
    if exit_code == 0:
        return Status.CACHED if view.cached else Status.PASSED
    return Status.CANCELLED if exit_code == _CANCELLED else Status.FAILED


def format_duration(milliseconds: float) -> str:
    """``850ms``, ``12.3s``, ``4m05s``: short enough for a status column."""
    if milliseconds < 1000:
        return f"{int(milliseconds)}ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"
