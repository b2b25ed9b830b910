"""
Step output on its way into the run: chunks of bytes in, batches of whole lines out.

A step can print a million lines in a few seconds. Building one ``StepLog`` event per line
costs more than everything else on the path, so the host cuts each chunk an executor hands
it into whole lines *as one block* (C-level ``find``/``replace``/``decode`` over the
chunk, no Python object per line) and publishes a :class:`StepLogBatch`. Whoever needs
per-line events (a hook subscribed to ``step_log``, an embedder's ``on_event``, a
result that keeps logs) gets them from :meth:`StepLogBatch.events`, built only then;
renderers that understand batches write a whole batch at once.

The line rules are the protocol's (``StepLog.line``): a line loses its ``\\n`` or
``\\r\\n``, invalid UTF-8 is replaced, and a line longer than :data:`MAX_LINE_BYTES` arrives
in pieces cut on character boundaries, so output without newlines cannot grow a buffer
without bound.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont.protocol import StdStream, StepLog

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_LINE_BYTES", "LineSplitter", "StepLogBatch", "whole_lines"]

#: A line longer than this (in bytes, without its ending) is emitted in pieces.
MAX_LINE_BYTES: Final = 64 * 1024


@final
@attrs.frozen(kw_only=True)
class StepLogBatch:
    """
    Whole lines of one step's stream that arrived together: many ``StepLog`` in one.

    They share one timestamp, the time their chunk reached the host.
    """

    step_id: uuid.UUID
    stream: StdStream
    ts: datetime
    #: The lines, each ended by ``\\n`` (one ``\\n`` per line, never empty).
    text: str

    def lines(self) -> list[str]:
        """The lines, without their endings."""
        return self.text[:-1].split("\n")

    def events(self) -> list[StepLog]:
        """One ``StepLog`` per line, as a subscriber that wants events sees them."""
        step_id, stream, ts = self.step_id, self.stream, self.ts
        return [StepLog(step_id=step_id, stream=stream, line=line, ts=ts) for line in self.lines()]


def whole_lines(buffer: bytes) -> tuple[bytes, bytes]:
    """
    Split *buffer* into its whole lines (each ended by ``\\n``, CRs of CRLF dropped, long
    lines cut) and the unfinished rest, at most :data:`MAX_LINE_BYTES` long.
    """
    end = buffer.rfind(b"\n") + 1
    if len(buffer) - end <= MAX_LINE_BYTES and _lines_fit(buffer, end):
        return buffer[:end].replace(b"\r\n", b"\n"), buffer[end:]
    return _cut_long_lines(buffer)


def _lines_fit(buffer: bytes, end: int) -> bool:
    """Whether every line of ``buffer[:end]`` (which ends with a newline) fits the limit."""
    # Each probe looks for the last newline in a window one line-limit wide: without one
    # the line starting at `start` is too long; with one, every line up to it fits. Short
    # lines cost one probe per window, not one per line.
    start = 0
    while end - start > MAX_LINE_BYTES + 1:
        newline = buffer.rfind(b"\n", start, start + MAX_LINE_BYTES + 1)
        if newline < 0:
            return False
        start = newline + 1
    return True


def _cut_long_lines(buffer: bytes) -> tuple[bytes, bytes]:
    """:func:`whole_lines` line by line, for the rare buffer that holds an overlong line."""
    pieces: list[bytes] = []
    start = 0
    while True:
        newline = buffer.find(b"\n", start)
        stop = len(buffer) if newline < 0 else newline
        if stop - start > MAX_LINE_BYTES:
            cut = _utf8_cut(buffer, start + MAX_LINE_BYTES, start)
            pieces.append(buffer[start:cut])
            start = cut
            continue
        if newline < 0:
            break
        line = buffer[start:newline]
        pieces.append(line[:-1] if line.endswith(b"\r") else line)
        start = newline + 1
    block = b"".join(piece + b"\n" for piece in pieces)
    return block, buffer[start:]


def _utf8_cut(data: bytes, limit: int, start: int) -> int:
    # Back off to a character boundary so a split never mangles a multi-byte character.
    cut = limit
    while cut > limit - 3 and cut > start and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return cut if cut > start else limit


class LineSplitter:
    """The unfinished line of one (step, stream); emits under its lock to keep order."""

    def __init__(self, step_id: uuid.UUID, stream: StdStream) -> None:
        # Reentrant: a subscriber of the batch may itself write output of the same step.
        self.lock = threading.RLock()
        self._step_id = step_id
        self._stream = stream
        self._pending = b""

    def feed(self, data: bytes, emit: Callable[[StepLogBatch], None]) -> None:
        """Emit the lines *data* completes; keep the rest for the next chunk."""
        with self.lock:
            block, self._pending = whole_lines(self._pending + data if self._pending else data)
            if block:
                emit(self._batch(block))

    def flush(self, emit: Callable[[StepLogBatch], None]) -> None:
        """Emit the unfinished line, if any, as a line of its own."""
        with self.lock:
            if self._pending:
                block, self._pending = self._pending + b"\n", b""
                emit(self._batch(block))

    def _batch(self, block: bytes) -> StepLogBatch:
        return StepLogBatch(
            step_id=self._step_id,
            stream=self._stream,
            ts=datetime.now(UTC),
            text=block.decode("utf-8", "replace"),
        )
