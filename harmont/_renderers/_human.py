"""
The default output on a terminal: live progress with rich, then replay and summary.

While the build runs, each running step has a spinner line with its elapsed time; a step
that ends leaves a ✓ or ✗ line above the spinners (with ``cached`` marks and durations).
Step output is only buffered: once the build ends, the output of failed steps is replayed
as raw bytes, followed by a summary table and the closing line. rich is only used for
status, never for step output (DESIGN.md §4).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from harmont._renderers._lines import outcome_line, replay, status_text
from harmont._renderers._view import BuildView, Status, StepView
from harmont.protocol import BuildStart, ChainFailed, StepEnd, StepStart

if TYPE_CHECKING:
    import uuid
    from typing import BinaryIO, TextIO

    from rich.progress import TaskID
    from rich.text import Text

    from harmont.protocol import BuildEvent

__all__ = ["HumanRenderer"]

_STYLES = {
    Status.PASSED: ("✓", "green"),
    Status.CACHED: ("✓", "green"),
    Status.FAILED: ("✗", "bold red"),
    Status.CANCELLED: ("✗", "yellow"),
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
        self._progress.start()

    def on_event(self, event: BuildEvent) -> None:
        """Update the live display with one event."""
        from rich.text import Text

        view = self._view.apply(event)
        with self._lock:
            if isinstance(event, BuildStart):
                plan = event.plan
                self._console.print(
                    Text(f"build: {plan.step_count} steps in {plan.chain_count} chains"),
                    style="dim",
                )
            elif isinstance(event, StepStart) and view is not None:
                self._tasks[event.step_id] = self._progress.add_task(view.key)
            elif isinstance(event, StepEnd) and view is not None:
                task = self._tasks.pop(event.step_id, None)
                if task is not None:
                    self._progress.remove_task(task)
                self._console.print(_status_line(view))
            elif isinstance(event, ChainFailed) and view is None:
                self._console.print(
                    Text(f"chain {event.chain_idx} failed: {event.message}", style="red")
                )

    def warn(self, message: str) -> None:
        """Print a warning above the live display."""
        from rich.text import Text

        with self._lock:
            self._console.print(Text(f"warning: {message}", style="yellow"))

    def close(self, failure: str | None = None) -> None:
        """Stop the live display, replay failed steps' output, print the summary."""
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            self._progress.stop()
            lines = replay(self._view)
            if lines:
                self._console.file.flush()
                self._raw.write("".join(f"{line}\n" for line in lines).encode("utf-8", "replace"))
                self._raw.flush()
            if self._view.steps:
                table = Table(title=None, box=None, show_header=True, header_style="bold")
                table.add_column("step")
                table.add_column("status")
                table.add_column("duration", justify="right")
                for step in self._view.steps.values():
                    table.add_row(*_row(step))
                self._console.print(table)
            end = self._view.end
            if end is not None:
                style = "green" if end.exit_code == 0 else "bold red"
                self._console.print(Text(outcome_line(end, failure), style=style))


def _status_line(view: StepView) -> Text:
    from rich.text import Text

    glyph, style = _STYLES.get(view.status, ("·", ""))
    return Text.assemble((glyph, style), " ", view.key, (f"  {status_text(view)}", "dim"))


def _row(view: StepView) -> tuple[Text, Text, str]:
    from rich.text import Text

    from harmont._renderers._view import format_duration

    glyph, style = _STYLES.get(view.status, ("·", ""))
    status = view.status.value if view.status is not Status.FAILED else f"failed ({view.exit_code})"
    return (
        Text(view.key),
        Text(f"{glyph} {status}", style=style),
        format_duration(view.duration_ms or 0),
    )
