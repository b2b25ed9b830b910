"""
Plain-text output: one line per thing that happened, written as raw bytes.

Two modes share this renderer. ``--logs`` streams every output line of every step as it
arrives, prefixed ``[key] ``; the default human mode without a terminal prints only status
lines and replays the output of failed steps at the end. Step output is written verbatim
(never through rich, whose markup would eat brackets and whose speed caps at a few
thousand lines a second), so a build's log is exactly what its steps printed.

Each step gets one status line once its status is settled (a failed step's by the
``chain_failed`` after its ``step_end``, see :mod:`harmont._renderers._view`); the closing
summary only counts them, names the steps that never ran, and says how the build ended.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, BinaryIO, Final

from harmont._orchestrator._bus import takes_log_batches
from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_OK, StepSkipped, StepStatus
from harmont._plugins._step_output import StepLogBatch
from harmont._renderers._pull import PullLog
from harmont._renderers._view import BuildView, StepView, format_duration
from harmont.protocol import (
    BuildStart,
    ChainFailed,
    StepCacheHit,
    StepLog,
    StepStart,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import BuildEnd, PlanSummary

__all__ = [
    "LinesRenderer",
    "counted",
    "outcome_line",
    "plan_line",
    "replay",
    "skipped_line",
    "status_text",
    "summary_lines",
]

_GREEN: Final = "\x1b[32m"
_RED: Final = "\x1b[31m"
_YELLOW: Final = "\x1b[33m"
_RESET: Final = "\x1b[0m"

#: Glyph and colour of each final status.
MARKS: Final = {
    StepStatus.PASSED: ("✓", _GREEN),
    StepStatus.CACHED: ("✓", _GREEN),
    StepStatus.FAILED: ("✗", _RED),
    StepStatus.TIMED_OUT: ("✗", _RED),
    StepStatus.ERRORED: ("✗", _RED),
    StepStatus.CANCELLED: ("✗", _YELLOW),
}
#: Statuses in the order the summary counts them, with the word it uses.
_COUNTED: Final = (
    (StepStatus.PASSED, "passed"),
    (StepStatus.CACHED, "cached"),
    (StepStatus.FAILED, "failed"),
    (StepStatus.TIMED_OUT, "timed out"),
    (StepStatus.CANCELLED, "cancelled"),
    (StepStatus.ERRORED, "errored"),
)
#: Skipped steps named in the summary before the rest is only counted.
_NAMED_SKIPS: Final = 10


def counted(count: int, noun: str) -> str:
    """``1 step``, ``2 steps``: *noun* takes an ``s`` unless there is exactly one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def plan_line(plan: PlanSummary) -> str:
    """``build: 3 steps in 1 chain``: the shape of the build, announced at its start."""
    steps, chains = counted(plan.step_count, "step"), counted(plan.chain_count, "chain")
    return f"build: {steps} in {chains}"


def status_text(view: StepView) -> str:
    """``1.2s``, ``cached · 3ms``, ``exit 2 · 1.5s``, ``timed out after 5.0s``, ``errored``..."""
    duration = format_duration(view.duration_ms or 0)
    if view.status is StepStatus.CACHED:
        return f"cached · {duration}"
    if view.status is StepStatus.TIMED_OUT:
        return f"timed out after {duration}"
    if view.status is StepStatus.CANCELLED:
        return f"cancelled · {duration}"
    if view.status is StepStatus.ERRORED:
        return f"errored · {duration}"
    if view.status is StepStatus.PASSED:
        return duration
    return f"exit {view.exit_code} · {duration}"


def replay(view: BuildView) -> list[str]:
    """
    The kept output of every failed step, each under a ``--- key: status ---`` header,
    and the error of each step its plugin failed (which usually printed nothing).

    A step whose command failed without output is left out: its status line says it all.
    """
    lines: list[str] = []
    for step in view.failed():
        output = step.output
        error = step.failure if step.status is StepStatus.ERRORED else None
        if not output.lines and error is None:
            continue
        lines.append(f"--- {step.key}: {status_text(step)} ---")
        if output.dropped:
            lines.append(f"({counted(output.dropped, 'earlier line')} not shown)")
        lines.extend(output.lines)
        if error is not None:
            lines.append(f"error: {error}")
    return lines


def summary_lines(view: BuildView, skipped: Sequence[str] = ()) -> list[str]:
    """
    The counts of each final status, then the steps that never ran, by name.

    :param skipped: the keys of the plan's steps that never ran (the event stream names
        only the steps that were queued); without them, only their number is known.
    """
    counts = {status: 0 for status, _ in _COUNTED}
    for step in view.steps.values():
        if step.status is not None:
            counts[step.status] += 1
    parts = [f"{counts[status]} {word}" for status, word in _COUNTED if counts[status]]
    planned = view.plan.step_count if view.plan is not None else len(view.steps)
    unrun = len(skipped) or max(planned - len(view.steps), 0)
    if unrun:
        parts.append(f"{unrun} skipped")
    if view.unselected:
        parts.append(f"{len(view.unselected)} not selected")
    lines = [", ".join(parts)] if parts else []
    if skipped:
        named = ", ".join(skipped[:_NAMED_SKIPS])
        more = f" and {len(skipped) - _NAMED_SKIPS} more" if len(skipped) > _NAMED_SKIPS else ""
        lines.append(f"skipped: {named}{more}")
    return lines


def skipped_line(record: StepSkipped) -> str:
    """``- lint  skipped: not selected``: a step the run leaves out, and why."""
    return f"- {record.key}  skipped: not selected"


def outcome_line(end: BuildEnd, failure: str | None, exit_code: int | None = None) -> str:
    """
    The closing line: passed, failed or cancelled, with the exit code, in how long, and why.

    :param exit_code: the process's exit code when it differs from the build's (an error
        raised after ``build_start``); default: ``build_end``'s.
    """
    code = end.exit_code if exit_code is None else exit_code
    took = format_duration(end.duration_ms)
    if code == EXIT_OK:
        return f"build passed in {took}"
    if code == EXIT_CANCELLED:
        return f"build cancelled (exit {code}) in {took}"
    reason = f": {failure}" if failure else ""
    return f"build failed (exit {code}) in {took}{reason}"


class LinesRenderer:
    """
    Status lines (and, with ``stream_logs``, every output line) on a binary stream.

    :param color: colour the ✓/✗ marks with ANSI codes.
    """

    def __init__(self, out: BinaryIO, *, stream_logs: bool, color: bool = False) -> None:
        self._out = out
        self._stream_logs = stream_logs
        self._color = color
        self._view = BuildView()
        self._lock = threading.Lock()
        self._pulls = PullLog()

    def on_pull(self, progress: PullProgress) -> None:
        """Write one line per image pull, when it ends."""
        if (line := self._pulls.line(progress)) is not None:
            self._write([line])

    @takes_log_batches
    def on_event(self, event: RunEvent | StepLogBatch) -> None:
        """Render one event, or a batch of output lines."""
        if isinstance(event, StepLogBatch):
            self._output(event)
            return
        lines = []
        for step in self._view.apply(event):
            lines.append(self._status_line(step))
            if self._stream_logs and step.status is StepStatus.ERRORED:
                # Nothing is replayed after streamed output: the plugin's error shows now.
                lines.append(f"[{step.key}] error: {step.failure}")
        text = self._line(event)
        self._write(lines if text is None else [*lines, text])

    def warn(self, message: str) -> None:
        """Show a warning (a plugin's, or the host's) as its own line."""
        self._write([f"warning: {message}"])

    def close(
        self,
        failure: str | None = None,
        *,
        exit_code: int | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        """Replay failed steps' output (unless it was streamed), the summary, the outcome."""
        lines = [] if self._stream_logs else replay(self._view)
        if self._view.end is not None:
            lines += summary_lines(self._view, skipped)
            lines.append(outcome_line(self._view.end, failure, exit_code))
        self._write(lines)

    def _output(self, batch: StepLogBatch) -> None:
        # The whole batch in one write, prefixed by C-level replaces: no object per line.
        step = self._view.steps.get(batch.step_id)
        if not self._stream_logs:
            if step is not None:
                step.output.extend(batch.text)
            return
        prefix = f"[{step.key if step is not None else '?'}] "
        text = prefix + batch.text[:-1].replace("\n", "\n" + prefix) + "\n"
        data = text.encode("utf-8", "replace")
        with self._lock:
            self._out.write(data)
            self._out.flush()

    def _status_line(self, view: StepView) -> str:
        glyph, color = MARKS[view.status] if view.status is not None else ("·", "")
        if self._color:
            glyph = f"{color}{glyph}{_RESET}"
        return f"{glyph} {view.key}  {status_text(view)}"

    def _line(self, event: RunEvent) -> str | None:
        if isinstance(event, StepSkipped):
            return skipped_line(event)
        if isinstance(event, BuildStart):
            plan = event.plan
            runner = f", default runner {plan.default_runner}" if plan.default_runner else ""
            return f"{plan_line(plan)}{runner}"
        if isinstance(event, ChainFailed):
            if event.failed_step_id in self._view.steps:
                return None  # the step's own status line (and the replay) say it
            return f"chain {event.chain_idx} failed: {event.message}"
        if isinstance(event, (StepStart, StepCacheHit, StepLog)):
            step = self._view.steps.get(event.step_id)
            return self._prefixed(event, step.key if step is not None else "?")
        return None

    def _prefixed(self, event: StepStart | StepCacheHit | StepLog, key: str) -> str | None:
        if isinstance(event, StepStart):
            image = f", image {event.image}" if event.image else ""
            return f"[{key}] start (runner {event.runner}{image})"
        if isinstance(event, StepCacheHit):
            return f"[{key}] cache hit ({event.tag})"
        if isinstance(event, StepLog) and self._stream_logs:
            return f"[{key}] {event.line}"
        return None

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        data = "".join(f"{line}\n" for line in lines).encode("utf-8", "replace")
        with self._lock:
            self._out.write(data)
            self._out.flush()
