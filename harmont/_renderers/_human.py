"""
The default output on a terminal: live progress with rich, then replay and summary.

While the build runs, each running step has a spinner line with its elapsed time; a step
that ends leaves a ✓ or ✗ line above the spinners (with ``cached`` marks and durations),
in the same duration format. Every line fits the terminal's width: a label too long is
cut (``…``), never wrapped, so the spinner and the time stay on screen. Step output is
only kept as a bounded tail: once the build ends, the output of failed steps is replayed
as raw bytes, followed by one line of counts, the names of the steps that never ran, and
the closing line (each step's own line is already on screen). rich is only used for
status, never for step output, whose bytes it would reinterpret.

This renderer draws (cursor moves, styles) by nature: without colour, `hm run` uses the
plain lines of :mod:`harmont._renderers._lines` instead, which write no escape sequence.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich.progress import ProgressColumn
from rich.table import Column
from rich.text import Text

from harmont._orchestrator._result import StepSkipped, StepStatus
from harmont._renderers._lines import (
    NOT_SELECTED,
    outcome_line,
    plan_line,
    replay,
    status_text,
    summary_lines,
)
from harmont._renderers._pull import PullTasks
from harmont._renderers._view import BuildView, StepName, StepView, format_duration
from harmont.protocol import BuildStart, ChainFailed, StepEnd, StepStart

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence
    from typing import BinaryIO, TextIO

    from rich.progress import Task, TaskID

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import CommandStep

__all__ = ["HumanRenderer"]

_STYLES = {
    StepStatus.PASSED: ("✓", "green"),
    StepStatus.CACHED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "bold red"),
    StepStatus.TIMED_OUT: ("✗", "bold red"),
    StepStatus.ERRORED: ("✗", "bold red"),
    StepStatus.CANCELLED: ("✗", "yellow"),
}
#: Columns a running step's line keeps for its spinner, its time and the gaps.
_SPINNER_AND_TIME = 12


class _Elapsed(ProgressColumn):
    """A running step's time, in the format of a finished one's (:func:`format_duration`)."""

    def render(self, task: Task) -> Text:
        return Text(format_duration((task.elapsed or 0.0) * 1000), style="dim")


class HumanRenderer:
    """
    Live progress on a terminal.

    :param console_file: the text stream rich draws on (stderr).
    :param raw: the binary stream under it, for the verbatim replay of step output.
    :param color: use colour (off for ``--no-color`` and ``NO_COLOR``).
    :param width: the terminal's width (default: asked of the terminal, 80 if it says none).
    """

    def __init__(
        self, console_file: TextIO, raw: BinaryIO, *, color: bool, width: int | None = None
    ) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        self._raw = raw
        self._console = Console(
            file=console_file,
            no_color=not color,
            highlight=False,
            force_terminal=True,
            width=width,
        )
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn(
                "{task.description}",
                table_column=Column(no_wrap=True, overflow="ellipsis"),
            ),
            _Elapsed(),
            console=self._console,
            transient=True,
        )
        self._tasks: dict[uuid.UUID, TaskID] = {}
        self._view = BuildView()
        self._lock = threading.Lock()
        self._pulls = PullTasks(self._progress, self._console)
        self._progress.start()

    def describe(self, steps: Sequence[CommandStep]) -> None:
        """Learn the steps' labels (see :meth:`BuildView.describe`)."""
        self._view.describe(steps)

    def on_pull(self, progress: PullProgress) -> None:
        """Show an image pull as a live line, then as the line it leaves."""
        with self._lock:
            self._pulls.show(progress)

    def on_event(self, event: RunEvent) -> None:
        """Update the live display with one event."""
        settled = self._view.apply(event)
        with self._lock:
            if isinstance(event, BuildStart):
                self._console.print(Text(plan_line(event.plan), style="dim"))
            elif isinstance(event, StepSkipped):
                self._console.print(self._skipped_line(event))
            elif isinstance(event, StepStart) and (view := self._view.steps.get(event.step_id)):
                width = self._console.width - _SPINNER_AND_TIME
                self._tasks[event.step_id] = self._progress.add_task(_name(view.name, width).markup)
            elif isinstance(event, StepEnd):
                task = self._tasks.pop(event.step_id, None)
                if task is not None:
                    self._progress.remove_task(task)
            elif isinstance(event, ChainFailed) and event.failed_step_id not in self._view.steps:
                self._console.print(
                    Text(f"chain {event.chain_idx} failed: {event.message}", style="red")
                )
            for step in settled:
                self._console.print(self._status_line(step))

    def warn(self, message: str) -> None:
        """Print a warning above the live display."""
        with self._lock:
            self._console.print(Text(f"warning: {message}", style="yellow"))

    def close(
        self,
        failure: str | None = None,
        *,
        exit_code: int | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        """Stop the live display, replay failed steps' output, print the summary."""
        with self._lock:
            self._progress.stop()
            lines = replay(self._view)
            if lines:
                self._console.file.flush()
                self._raw.write("".join(f"{line}\n" for line in lines).encode("utf-8", "replace"))
                self._raw.flush()
            end = self._view.end
            if end is None:
                return
            for line in summary_lines(self._view, skipped):
                self._console.print(Text(line, style="dim"))
            code = end.exit_code if exit_code is None else exit_code
            style = "green" if code == 0 else "bold red"
            self._console.print(
                Text(outcome_line(end, failure, exit_code, self._view), style=style)
            )

    def _status_line(self, view: StepView) -> Text:
        glyph, style = _STYLES.get(view.status, ("·", "")) if view.status else ("·", "")
        status = f"  {status_text(view)}"
        width = self._console.width - len(glyph) - 1 - len(status)
        return Text.assemble((glyph, style), " ", _name(view.name, width), (status, "dim"))

    def _skipped_line(self, record: StepSkipped) -> Text:
        """``- lint  skipped: not selected``, the name cut to the width like a status line."""
        reason = f"  {NOT_SELECTED}"
        width = self._console.width - len("- ") - len(reason)
        name = _name(self._view.name(record.key), width)
        return Text.assemble("- ", name, reason, style="dim")


def _name(name: StepName, width: int) -> Text:
    """*name* as styled text (a shared label's key dim), cut to *width* cells with ``…``."""
    text = Text(name.label)
    if name.key is not None:
        text.append(f" ({name.key})", style="dim")
    text.truncate(max(width, 1), overflow="ellipsis")
    return text
