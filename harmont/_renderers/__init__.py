"""
Renderers: what a build looks like to the person (or program) that started it.

Each renderer is an event subscriber with five methods: ``describe(steps)`` with the
steps of the run before the build starts (events name steps by key; renderers show
labels), ``on_pull(progress)`` for each report of an image pull (before the build starts,
see :mod:`._pull`), ``on_event(event)`` for each build event, ``warn(message)`` for a
warning to show once, and ``close(failure, exit_code=, skipped=)`` once the build has
ended: the process's exit code (which an error raised after ``build_start`` makes differ
from the build's) and the keys of the steps that never ran, which the event stream cannot
name. :func:`make_renderer` picks one from the ``hm run`` options.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import CommandStep

__all__ = ["Renderer", "color_enabled", "make_renderer"]


class Renderer(Protocol):
    """What ``hm run`` drives: see the module docstring."""

    def describe(self, steps: Sequence[CommandStep]) -> None: ...

    def on_pull(self, progress: PullProgress) -> None: ...

    def on_event(self, event: RunEvent) -> None: ...

    def warn(self, message: str) -> None: ...

    def close(
        self,
        failure: str | None = None,
        *,
        exit_code: int | None = None,
        skipped: Sequence[str] = (),
    ) -> None: ...


def color_enabled(*, no_color: bool, isatty: bool) -> bool:
    """Colour only on a terminal, and never with ``--no-color`` or ``NO_COLOR`` set."""
    return isatty and not no_color and not os.environ.get("NO_COLOR")


def make_renderer(*, output_format: str, logs: bool, no_color: bool) -> Renderer:
    """
    The renderer for ``--format``, ``--logs`` and ``--no-color``, on the process streams.

    JSON goes to stdout; everything else to stderr. Human mode draws live progress only
    on a terminal and in colour; otherwise (no terminal, ``--no-color``, ``NO_COLOR``) it
    prints plain status lines, without a single escape sequence.
    """
    if output_format == "json":
        from harmont._renderers._json import JsonRenderer

        return JsonRenderer(sys.stdout.buffer, sys.stderr.buffer)
    isatty = sys.stderr.isatty()
    color = color_enabled(no_color=no_color, isatty=isatty)
    if logs or not color:
        from harmont._renderers._lines import LinesRenderer

        return LinesRenderer(sys.stderr.buffer, stream_logs=logs, color=color)
    from harmont._renderers._human import HumanRenderer

    return HumanRenderer(sys.stderr, sys.stderr.buffer, color=color)
