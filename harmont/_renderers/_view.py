"""
The build as renderers see it: the event stream folded into per-step state.

Every renderer keeps one :class:`BuildView` and feeds it each event first; the view knows
each step's key, status, timing and the tail of its output, which is what a status line,
the replay of a failed step's logs and the closing summary are made of.

A step's status is the scheduler's, never re-derived from its exit code: a step that
passed is settled by its ``step_end``; a failed one by the ``chain_failed`` that follows
it, whose message tells a timeout (only a step with a timeout has one), a cancellation, a
failed command and a plugin's error apart (:func:`failure_status`). A failed step whose
``chain_failed`` never came (the build stopped on an error) is settled as failed by
``build_end``.

Events name a step by its key; the view shows it by its label (falling back to the key),
learnt from the planned steps before the build starts (:meth:`BuildView.describe`). Where
two steps share a label, each also carries its key, for a renderer to add in dim text.

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

from harmont._orchestrator._result import StepSkipped, StepStatus, failure_status
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
    from collections.abc import Iterable

    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import CommandStep, PlanSummary

__all__ = [
    "REPLAY_BYTES",
    "REPLAY_LINES",
    "BuildView",
    "StepName",
    "StepView",
    "Tail",
    "format_duration",
]

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

    def extend(self, text: str) -> None:
        """Keep the lines of *text* (each ended by ``\\n``), splitting only those that can stay."""
        lines = text[:-1].rsplit("\n", REPLAY_LINES)
        if len(lines) > REPLAY_LINES:
            older = lines.pop(0)
            self.dropped += older.count("\n") + 1 + len(self.lines)
            self.lines.clear()
            self.size = 0
        for line in lines:
            self.append(line)

    def clear(self) -> None:
        """Forget everything (the step passed: its output is never replayed)."""
        self.lines.clear()
        self.size = 0


@attrs.frozen
class StepName:
    """How a step is shown: its label (else its key), and its key where the label is shared."""

    label: str
    #: The step key, only when another step has the same label.
    key: str | None = None

    def plain(self) -> str:
        """``label``, or ``label (key)`` for a shared label: for output without styles."""
        return self.label if self.key is None else f"{self.label} ({self.key})"


@attrs.define(kw_only=True)
class StepView:
    """One step execution, from its ``step_queued`` on."""

    step_id: uuid.UUID
    key: str
    chain_idx: int
    name: StepName
    #: None until settled (see the module docstring).
    status: StepStatus | None = None
    runner: str | None = None
    cached: bool = False
    #: The snapshot a cache hit continues from.
    cache_tag: str | None = None
    #: Monotonic time of ``step_start``.
    started: float | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    #: Why it failed: its ``chain_failed`` message (a plugin's error, with its hint).
    failure: str | None = None
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
        self.end: BuildEnd | None = None
        #: The steps the run left out (``--only``), in document order.
        self.unselected: list[str] = []
        self._names: dict[str, StepName] = {}

    def describe(self, steps: Iterable[CommandStep]) -> None:
        """Learn the label of each step of the run, to show instead of its key."""
        steps = list(steps)
        labels = collections.Counter(step.label or step.key for step in steps)
        for step in steps:
            label = step.label or step.key
            shared = labels[label] > 1 and label != step.key
            self._names[step.key] = StepName(label, step.key if shared else None)

    def name(self, key: str) -> StepName:
        """How step *key* is shown (its key, for a step :meth:`describe` never saw)."""
        return self._names.get(key) or StepName(key)

    def apply(self, event: RunEvent) -> list[StepView]:
        """Fold *event* in; return the steps whose final status it settled, each once."""
        if isinstance(event, StepSkipped):
            self.unselected.append(event.key)
        elif isinstance(event, BuildStart):
            self.plan = event.plan
        elif isinstance(event, StepQueued):
            self.steps[event.step_id] = StepView(
                step_id=event.step_id,
                key=event.key,
                chain_idx=event.chain_idx,
                name=self.name(event.key),
            )
        elif isinstance(event, ChainFailed):
            return self._chain_failed(event)
        elif isinstance(event, BuildEnd):
            self.end = event
            return self._settle_the_rest()
        elif (view := self.steps.get(event.step_id)) is not None:
            return self._step_event(view, event)
        return []

    def failed(self) -> list[StepView]:
        """Steps that ended non-zero, in the order they were queued."""
        return [v for v in self.steps.values() if v.status in FAILED_STATUSES]

    def _step_event(
        self, view: StepView, event: StepStart | StepCacheHit | StepLog | StepEnd
    ) -> list[StepView]:
        if isinstance(event, StepStart):
            view.runner, view.started = event.runner, time.monotonic()
        elif isinstance(event, StepCacheHit):
            view.cached, view.cache_tag = True, event.tag
        elif isinstance(event, StepLog):
            view.output.append(event.line)
        else:
            view.exit_code, view.duration_ms = event.exit_code, event.duration_ms
            if event.exit_code == 0:
                view.status = StepStatus.CACHED if view.cached else StepStatus.PASSED
                view.output.clear()
                return [view]
        return []

    def _chain_failed(self, event: ChainFailed) -> list[StepView]:
        view = self.steps.get(event.failed_step_id)
        if view is None or view.exit_code is None or view.status is not None:
            # A hook's abort before the step ran, or an unknown step: nothing to settle.
            return []
        view.failure = event.message
        view.status = failure_status(view.key, view.exit_code, event.message)
        return [view]

    def _settle_the_rest(self) -> list[StepView]:
        rest = [v for v in self.steps.values() if v.exit_code is not None and v.status is None]
        for view in rest:
            view.status = StepStatus.FAILED
        return rest


def format_duration(milliseconds: float) -> str:
    """``850ms``, ``12.3s``, ``4m05s``: short enough for a status column."""
    if milliseconds < 1000:
        return f"{int(milliseconds)}ms"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"
