"""
Plain-text output: one line per thing that happened, written as raw bytes.

Two modes share this renderer. ``--logs`` streams every output line of every step as it
arrives, prefixed ``[key] ``; the default human mode without a terminal prints only status
lines and replays the output of failed steps at the end. Step output is written verbatim
(never through rich, whose markup would eat brackets and whose speed caps at a few
thousand lines a second), so a build's log is exactly what its steps printed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, BinaryIO, Final

from harmont._renderers._view import BuildView, Status, StepView, format_duration
from harmont.protocol import (
    BuildEnd,
    BuildStart,
    ChainFailed,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepStart,
)

if TYPE_CHECKING:
    from harmont.protocol import BuildEvent

__all__ = ["LinesRenderer", "replay", "summary_lines"]

_GREEN: Final = "\x1b[32m"
_RED: Final = "\x1b[31m"
_YELLOW: Final = "\x1b[33m"
_RESET: Final = "\x1b[0m"

#: Glyph and colour of each final status.
_MARKS: Final = {
    Status.PASSED: ("✓", _GREEN),
    Status.CACHED: ("✓", _GREEN),
    Status.FAILED: ("✗", _RED),
    Status.CANCELLED: ("✗", _YELLOW),
}


def status_text(view: StepView) -> str:
    """``cached``, ``FAILED (exit 2)``, ``cancelled``... with the duration."""
    duration = format_duration(view.duration_ms or 0)
    if view.status is Status.CACHED:
        return f"cached, {duration}"
    if view.status is Status.FAILED:
        return f"FAILED (exit {view.exit_code}), {duration}"
    if view.status is Status.CANCELLED:
        return f"cancelled, {duration}"
    return duration


def replay(view: BuildView) -> list[str]:
    """The buffered output of every failed step, each under a ``--- key ---`` header."""
    lines: list[str] = []
    for step in view.failed():
        if not step.lines:
            continue
        lines.append(f"--- {step.key} {status_text(step)} ---")
        if step.dropped:
            lines.append(f"({step.dropped} earlier lines not kept)")
        lines.extend(line for _, line in step.lines)
    return lines


def summary_lines(view: BuildView) -> list[str]:
    """One line per step that ran, then the count of steps that never started."""
    width = max((len(step.key) for step in view.steps.values()), default=0)
    lines = []
    for step in view.steps.values():
        glyph = _MARKS.get(step.status, ("·", ""))[0]
        lines.append(f"  {glyph} {step.key.ljust(width)}  {status_text(step)}")
    planned = view.plan.step_count if view.plan is not None else len(view.steps)
    skipped = planned - len(view.steps)
    if skipped > 0:
        lines.append(f"  {skipped} step{'s' if skipped != 1 else ''} skipped")
    return lines


def outcome_line(end: BuildEnd, failure: str | None) -> str:
    """The closing line: passed, failed or cancelled, in how long, and why."""
    took = format_duration(end.duration_ms)
    if end.exit_code == 0:
        return f"build passed in {took}"
    word = "cancelled" if end.exit_code == 130 else "failed"
    reason = f": {failure}" if failure else ""
    return f"build {word} (exit {end.exit_code}) in {took}{reason}"


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

    def on_event(self, event: BuildEvent) -> None:
        """Render one event."""
        view = self._view.apply(event)
        text = self._line(event, view)
        if text is not None:
            self._write([text])

    def warn(self, message: str) -> None:
        """Show a warning (a plugin's, or the host's) as its own line."""
        self._write([f"warning: {message}"])

    def close(self, failure: str | None = None) -> None:
        """Replay failed steps' output (unless it was streamed) and print the summary."""
        lines = [] if self._stream_logs else replay(self._view)
        if self._view.steps:
            lines += ["summary:", *summary_lines(self._view)]
        if self._view.end is not None:
            lines.append(outcome_line(self._view.end, failure))
        self._write(lines)

    def _line(self, event: BuildEvent, view: StepView | None) -> str | None:
        if isinstance(event, BuildStart):
            plan = event.plan
            runner = f", default runner {plan.default_runner}" if plan.default_runner else ""
            return f"build: {plan.step_count} steps in {plan.chain_count} chains{runner}"
        if isinstance(event, ChainFailed) and view is None:
            return f"chain {event.chain_idx} failed: {event.message}"
        if isinstance(event, StepEnd) and view is not None:
            glyph, color = _MARKS.get(view.status, ("·", ""))
            if self._color:
                glyph = f"{color}{glyph}{_RESET}"
            return f"{glyph} {view.key} ({status_text(view)})"
        return self._prefixed(event, view.key if view is not None else "?")

    def _prefixed(self, event: BuildEvent, key: str) -> str | None:
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
