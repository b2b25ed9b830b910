"""``--format json``: one build event per line on stdout, and nothing else there."""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, BinaryIO

from harmont._orchestrator._bus import takes_log_batches
from harmont._plugins._step_output import StepLogBatch
from harmont._renderers._pull import PullLog
from harmont.protocol import StepLog, to_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont.protocol import CommandStep

__all__ = ["JsonRenderer"]


class JsonRenderer:
    """
    Each event as compact JSON (the protocol's serde form, ``kind`` first), one per line.

    Lines are flushed as they are written, so a consumer reading the pipe sees each event
    when it happens. Warnings, image pulls and the failure reason go to stderr, never to
    the event stream.
    """

    def __init__(self, out: BinaryIO, err: BinaryIO | None = None) -> None:
        self._out = out
        self._err = err
        self._lock = threading.Lock()
        self._pulls = PullLog()

    def describe(self, steps: Sequence[CommandStep]) -> None:
        """Nothing to learn: events carry keys, and consumers read labels from the IR."""

    def on_pull(self, progress: PullProgress) -> None:
        """Write one line per image pull to stderr, when it ends: stdout is for events."""
        if (line := self._pulls.line(progress)) is not None:
            self._note(line)

    @takes_log_batches
    def on_event(self, event: RunEvent | StepLogBatch) -> None:
        """Write *event* as one line, or a batch of output lines as one ``step_log`` each."""
        text = _step_logs(event) if isinstance(event, StepLogBatch) else to_json(event) + "\n"
        data = text.encode("utf-8")
        with self._lock:
            self._out.write(data)
            self._out.flush()

    def warn(self, message: str) -> None:
        """Write a warning line to stderr."""
        self._note(f"warning: {message}")

    def close(
        self,
        failure: str | None = None,
        *,
        exit_code: int | None = None,
        skipped: Sequence[str] = (),
    ) -> None:
        """Say on stderr why the build failed, if it did; the events said everything else."""
        if failure:
            self._note(f"build failed: {failure}")

    def _note(self, text: str) -> None:
        err = self._err if self._err is not None else sys.stderr.buffer
        with self._lock:
            err.write(f"{text}\n".encode())
            err.flush()


def _step_logs(batch: StepLogBatch) -> str:
    """
    The ``step_log`` line of every line of *batch*, exactly as :func:`to_json` writes each.

    The lines differ only by their ``line`` field, so one event with an empty line gives
    the text around it, and one ``json.dumps`` of all the lines, with that text between
    items, escapes them all in C: the list's ``[``/``]`` become the first event's start and
    the last event's end. JSON escapes every newline inside a string, so each event stays
    on its own line.
    """
    empty = to_json(StepLog(step_id=batch.step_id, stream=batch.stream, line="", ts=batch.ts))
    field = ',"line":'
    at = empty.index(field + '""') + len(field)
    head, tail = empty[:at], empty[at + 2 :] + "\n"
    items = json.dumps(batch.lines(), ensure_ascii=False, separators=(tail + head, ":"))
    return head + items[1:-1] + tail
