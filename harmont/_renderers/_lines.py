"""
Plain-text output: one line per thing that happened, written as raw bytes.

Two modes share this renderer. ``--logs`` streams every output line of every step as it
arrives, prefixed ``[key] ``; the default human mode without a terminal prints only status
lines and replays the output of failed steps at the end. Step output is written verbatim
(never through rich, whose markup would eat brackets and whose speed caps at a few
thousand lines a second), so a build's log is exactly what its steps printed.

Steps are shown by label (:class:`~harmont._renderers._view.StepName`), except in the
``[key]`` prefixes of ``--logs``, which stay keys: one word per step, stable to grep; there
the ``start`` line of a step whose label differs names the label once.

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
from harmont._step_env import DEFAULT_IMAGE
from harmont.protocol import (
    BuildStart,
    ChainFailed,
    StepLog,
    StepStart,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import BuildEnd, BuildEvent, CommandStep, PlanSummary

__all__ = [
    "NOT_SELECTED",
    "LinesRenderer",
    "counted",
    "outcome_line",
    "plan_line",
    "replay",
    "skipped_line",
    "status_text",
    "summary_lines",
    "truncate",
]

_GREEN: Final = "\x1b[32m"
_RED: Final = "\x1b[31m"
_YELLOW: Final = "\x1b[33m"
_DIM: Final = "\x1b[2m"
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
#: Skipped (or failed) steps named in the summary before the rest is only counted.
_NAMED_SKIPS: Final = 10
#: What a step ``--only`` left out says after its name.
NOT_SELECTED: Final = "skipped: not selected"
#: What a failed step is called in the closing line's list of failures.
_FAILED_AS: Final = {
    StepStatus.TIMED_OUT: "timed out",
    StepStatus.ERRORED: "errored",
    StepStatus.CANCELLED: "cancelled",
}


def counted(count: int, noun: str) -> str:
    """``1 step``, ``2 steps``: *noun* takes an ``s`` unless there is exactly one."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def truncate(text: str, width: int) -> str:
    """*text* cut to *width* characters, ending in ``…`` when it was cut."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…" if width > 0 else ""


def _listed(names: Sequence[str]) -> str:
    """``a, b`` or ``a, b ... and 3 more``: at most :data:`_NAMED_SKIPS` names."""
    shown = ", ".join(names[:_NAMED_SKIPS])
    more = len(names) - _NAMED_SKIPS
    return f"{shown} and {more} more" if more > 0 else shown


def plan_line(plan: PlanSummary) -> str:
    """
    ``build: 3 steps in 1 chain, default runner docker``: the shape of the build,
    announced at its start (the runner only when some step relies on the default).
    """
    steps, chains = counted(plan.step_count, "step"), counted(plan.chain_count, "chain")
    runner = f", default runner {plan.default_runner}" if plan.default_runner else ""
    return f"build: {steps} in {chains}{runner}"


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
        lines.append(f"--- {step.name.plain()}: {status_text(step)} ---")
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
        only the steps that were queued); without them, only their number is known. They
        are shown by label.
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
        lines.append(f"skipped: {_listed([view.name(key).plain() for key in skipped])}")
    return lines


def skipped_line(record: StepSkipped, view: BuildView) -> str:
    """``- lint  skipped: not selected``: a step the run leaves out (by name), and why."""
    return f"- {view.name(record.key).plain()}  {NOT_SELECTED}"


def outcome_line(
    end: BuildEnd,
    failure: str | None,
    exit_code: int | None = None,
    view: BuildView | None = None,
) -> str:
    """
    The closing line: passed, failed or cancelled, with the exit code, in how long, and why.

    Why is the steps that failed, counted and named by label (``2 steps failed: lint
    (exit 1), test (timed out)``), whenever *failure* is one of theirs or there is none
    (with ``--keep-going`` nothing stopped the build); otherwise *failure* itself (a
    pipeline timeout, a hook's abort).

    :param exit_code: the process's exit code when it differs from the build's (an error
        raised after ``build_start``); default: ``build_end``'s.
    :param view: the build's steps, to name the failed ones.
    """
    code = end.exit_code if exit_code is None else exit_code
    took = format_duration(end.duration_ms)
    if code == EXIT_OK:
        return f"build passed in {took}"
    if code == EXIT_CANCELLED:
        return f"build cancelled (exit {code}) in {took}"
    causes = [] if view is None else _causes(view)
    if causes and (failure is None or failure in {step.failure for step in causes}):
        named = [f"{step.name.plain()} ({_failed_as(step)})" for step in causes]
        return f"build failed (exit {code}) in {took}: {counted(len(causes), 'step')} failed: " + (
            _listed(named)
        )
    reason = f": {failure}" if failure else ""
    return f"build failed (exit {code}) in {took}{reason}"


def _causes(view: BuildView) -> list[StepView]:
    """The failed steps that failed the build (not those fail-fast cancelled after them)."""
    failed = view.failed()
    causes = [step for step in failed if step.status is not StepStatus.CANCELLED]
    return causes or failed


def _failed_as(step: StepView) -> str:
    if step.status is StepStatus.FAILED:
        return f"exit {step.exit_code}"
    return _FAILED_AS.get(step.status, "failed") if step.status is not None else "failed"


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
        text = (
            skipped_line(event, self._view) if isinstance(event, StepSkipped) else self._line(event)
        )
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
            lines.append(outcome_line(self._view.end, failure, exit_code, self._view))
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

    def describe(self, steps: Sequence[CommandStep]) -> None:
        """Learn the planned steps' labels (see :meth:`BuildView.describe`)."""
        self._view.describe(steps)

    def _status_line(self, view: StepView) -> str:
        glyph, color = MARKS[view.status] if view.status is not None else ("·", "")
        name = view.name.plain()
        if self._color:
            glyph = f"{color}{glyph}{_RESET}"
            if view.name.key is not None:
                name = f"{view.name.label} {_DIM}({view.name.key}){_RESET}"
        return f"{glyph} {name}  {status_text(view)}"

    def _line(self, event: BuildEvent) -> str | None:
        if isinstance(event, BuildStart):
            return plan_line(event.plan)
        if isinstance(event, ChainFailed):
            if event.failed_step_id in self._view.steps:
                return None  # the step's own status line (and the replay) say it
            return f"chain {event.chain_idx} failed: {event.message}"
        if isinstance(event, StepStart) and (step := self._view.steps.get(event.step_id)):
            return self._start_line(event, step)
        if isinstance(event, StepLog) and self._stream_logs:
            step = self._view.steps.get(event.step_id)
            return f"[{step.key if step is not None else '?'}] {event.line}"
        return None

    def _start_line(self, event: StepStart, step: StepView) -> str:
        """
        ``[name] start (runner local)``, or ``[name] cache hit (runner local, from TAG)``:
        a cached step also starts (from its snapshot), but says so once. With ``--logs``
        the prefix is the key, and a label that differs follows ``start``.
        """
        details = [f"runner {event.runner}"]
        # The DSL stamps its default image on every chain root that names none: showing
        # it would name an image the author never chose (and the local runner ignores).
        if event.image and event.image != DEFAULT_IMAGE:
            details.append(f"image {event.image}")
        if step.cached:
            details.append(f"from {step.cache_tag}")
        what = "cache hit" if step.cached else "start"
        if not self._stream_logs:
            return f"[{step.name.plain()}] {what} ({', '.join(details)})"
        label = f" {step.name.label}" if step.name.label != step.key else ""
        return f"[{step.key}] {what}{label} ({', '.join(details)})"

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        data = "".join(f"{line}\n" for line in lines).encode("utf-8", "replace")
        with self._lock:
            self._out.write(data)
            self._out.flush()
