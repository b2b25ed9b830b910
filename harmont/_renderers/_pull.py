"""
Image pulls as the person who started the build sees them, before its first step.

Runners report each pull as :class:`~harmont.PullProgress`. On a terminal a pull is a
live line of the human renderer's rich progress, with its layers and bytes
(:class:`PullTasks`); off a terminal, and in every mode once it ends, it is one line
(:class:`PullLog`): ``pulled python:3.12-slim: 5 layers, 48.2 MB in 12.3s``. With
``--format json`` that line goes to stderr: stdout carries build events only.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from harmont._orchestrator._preflight import PullProgress

__all__ = ["PullLog", "PullTasks", "byte_size", "live_text"]

_UNITS: Final = ("kB", "MB", "GB", "TB")


def byte_size(count: int) -> str:
    """``512 B``, ``48.2 MB``: decimal units, as the engine and registries count them."""
    if count < 1000:
        return f"{count} B"
    value = float(count)
    for unit in _UNITS:
        value /= 1000
        if value < 1000 or unit == _UNITS[-1]:
            break
    return f"{value:.1f} {unit}"


def live_text(progress: PullProgress) -> str:
    """``pulling python:3.12-slim · 2/5 layers · 12.3 MB / 45.6 MB``, while it runs."""
    text = f"pulling {progress.image}"
    if progress.layers:
        text += f" · {progress.layers_done}/{progress.layers} layers"
    if progress.size:
        text += f" · {byte_size(progress.downloaded)} / {byte_size(progress.size)}"
    return text


class PullLog:
    """
    Each pull's closing line, timed from its first report. Thread-safe: several images
    are pulled at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}

    def line(self, progress: PullProgress) -> str | None:
        """The line that records the pull *progress* is part of; None until it finished."""
        now = time.monotonic()
        with self._lock:
            started = self._started.setdefault(progress.image, now)
            if progress.finished:
                del self._started[progress.image]
        if not progress.finished:
            return None
        # Imported here: its module, the human renderers' build view, is of no other use to
        # a JSON build, which needs it only once an image was pulled.
        from harmont._renderers._view import format_duration

        took = format_duration((now - started) * 1000)
        if not progress.updated:
            return f"pulled {progress.image}: up to date in {took}"
        if not progress.layers:  # the engine had every layer: only the tag was new
            return f"pulled {progress.image} in {took}"
        what = f"{progress.layers} layer{'' if progress.layers == 1 else 's'}"
        if progress.downloaded:  # the engine gives no size for layers of a few bytes
            what += f", {byte_size(progress.downloaded)}"
        return f"pulled {progress.image}: {what} in {took}"


class PullTasks:
    """
    Live pull lines in a rich *progress* display; a finished pull leaves its
    :class:`PullLog` line on *console*, above the display. The caller serialises calls.
    """

    def __init__(self, progress: Progress, console: Console) -> None:
        self._progress = progress
        self._console = console
        self._log = PullLog()
        self._tasks: dict[str, TaskID] = {}

    def show(self, progress: PullProgress) -> None:
        """Add, update or settle the line of *progress*'s image."""
        from rich.text import Text

        line = self._log.line(progress)
        task = self._tasks.get(progress.image)
        if line is not None:
            if task is not None:
                self._progress.remove_task(self._tasks.pop(progress.image))
                # The live display re-draws its last frame under a printed line: without
                # a refresh first, that frame still shows the pull that just ended.
                self._progress.refresh()
            # Cut, never wrapped, to the width, as every line of the live display.
            self._console.print(Text(line, style="dim"), no_wrap=True, overflow="ellipsis")
        elif task is None:
            self._tasks[progress.image] = self._progress.add_task(live_text(progress))
        else:
            self._progress.update(task, description=live_text(progress))
