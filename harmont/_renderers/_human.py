"""
The default output on a terminal: live progress with rich, then replay and summary.

While the build runs, each running step has a spinner line with its elapsed time; a step
that ends leaves a ✓ or ✗ line above the spinners (with ``cached`` marks and durations).
Step output is only kept as a bounded tail: once the build ends, the output of failed
steps is replayed as raw bytes, followed by one line of counts, the names of the steps
that never ran, and the closing line (each step's own line is already on screen). rich is
only used for status, never for step output (DESIGN.md §4).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from harmont._orchestrator._result import StepSkipped, StepStatus
from harmont._renderers._lines import (
    outcome_line,
    plan_line,
    replay,
    skipped_line,
    status_text,
    summary_lines,
)
from harmont._renderers._pull import PullTasks
from harmont._renderers._view import BuildView, StepView
from harmont.protocol import BuildStart, ChainFailed, StepEnd, StepStart

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence
    from typing import BinaryIO, TextIO

    from rich.progress import TaskID
    from rich.text import Text

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent

__all__ = ["HumanRenderer"]

_STYLES = {
    StepStatus.PASSED: ("✓", "green"),
    StepStatus.CACHED: ("✓", "green"),
    StepStatus.FAILED: ("✗", "bold red"),
    StepStatus.TIMED_OUT: ("✗", "bold red"),
    StepStatus.ERRORED: ("✗", "bold red"),
    StepStatus.CANCELLED: ("✗", "yellow"),
}


class HumanRenderer:
    """
    Live progress on a terminal.

    :param console_file: the text stream rich draws on (stderr).
    :param raw: the binary stream under it, for the verbatim replay of step output.
    :param color: use colour (off for ``--no-color`` and ``NO_COLOR``).
    """

    def __init__(self, console_file: TextIO, raw: BinaryIO, *, color: bool) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._raw = raw
        self._console = Console(
            file=console_file, no_color=not color, highlight=False, force_terminal=True
        )
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._tasks: dict[uuid.UUID, TaskID] = {}
        self._view = BuildView()
        self._lock = threading.Lock()
        self._pulls = PullTasks(self._progress, self._console)
        self._progress.start()

    def on_pull(self, progress: PullProgress) -> None:
        """Show an image pull as a live line, then as the line it leaves."""
        with self._lock:
            self._pulls.show(progress)

    def on_event(self, event: RunEvent) -> None:
        """Update the live display with one event."""
        from rich.text import Text

        settled = self._view.apply(event)
        with self._lock:
            if isinstance(event, BuildStart):
                self._console.print(Text(plan_line(event.plan)), style="dim")
            elif isinstance(event, StepSkipped):
                self._console.print(Text(skipped_line(event)), style="dim")
            elif isinstance(event, StepStart) and (view := self._view.steps.get(event.step_id)):
                self._tasks[event.step_id] = self._progress.add_task(view.key)
            elif isinstance(event, StepEnd):
                task = self._tasks.pop(event.step_id, None)
                if task is not None:
                    self._progress.remove_task(task)
            elif isinstance(event, ChainFailed) and event.failed_step_id not in self._view.steps:
                self._console.print(
                    Text(f"chain {event.chain_idx} failed: {event.message}", style="red")
                )
            for step in settled:
                self._console.print(_status_line(step))

    def warn(self, message: str) -> None:
        """Print a warning above the live display."""
        from rich.text import Text

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
        from rich.text import Text

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
                self._console.print(Text(line), style="dim")
            code = end.exit_code if exit_code is None else exit_code
            style = "green" if code == 0 else "bold red"
            self._console.print(Text(outcome_line(end, failure, exit_code), style=style))


def _status_line(view: StepView) -> Text:
    from rich.text import Text

    glyph, style = _STYLES.get(view.status, ("·", "")) if view.status else ("·", "")
    return Text.assemble((glyph, style), " ", view.key, (f"  {status_text(view)}", "dim"))
