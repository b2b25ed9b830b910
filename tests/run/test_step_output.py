"""Step output in batches: the same lines and JSON events as one per line, in fewer writes."""

from __future__ import annotations

import io
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import harmont
from harmont._plugins._host import Host
from harmont._plugins._step_output import MAX_LINE_BYTES, StepLogBatch, whole_lines
from harmont._renderers._json import JsonRenderer
from harmont._renderers._lines import LinesRenderer
from harmont._renderers._view import REPLAY_LINES, Tail
from harmont.protocol import (
    API_VERSION,
    BuildEvent,
    HookContinue,
    HookEventKind,
    HookPhase,
    LifecycleHookSpec,
    PluginManifest,
    StdStream,
    StepLog,
    StepQueued,
    to_json,
)


def _one_by_one(data: bytes) -> tuple[list[bytes], bytes]:
    """
    The protocol's line rules applied a line at a time, the reference for the batches: a
    line loses its LF or CRLF, and one longer than the limit comes in pieces that fit it,
    cut between characters.
    """
    pending, lines = bytearray(data), []
    while True:
        newline = pending.find(b"\n")
        length = len(pending) if newline < 0 else newline
        if length > MAX_LINE_BYTES:
            cut = MAX_LINE_BYTES
            while pending[cut] & 0xC0 == 0x80:
                cut -= 1
            line, end = pending[:cut], cut
        elif newline < 0:
            return lines, bytes(pending)
        else:
            line, end = pending[:newline], newline + 1
            if line.endswith(b"\r"):
                line = line[:-1]
        del pending[:end]
        lines.append(bytes(line))


class _Writes(io.BytesIO):
    """A binary stream that counts its writes."""

    writes = 0

    def write(self, data: Any) -> int:
        self.writes += 1
        return super().write(data)


_BYTES = st.lists(st.sampled_from([b"a", b"\xc3\xa9", b"\r", b"\n", b"\xff", b"\\", b'"']))


@given(_BYTES.map(b"".join), st.integers(0, 3))
def test_whole_lines_follow_the_line_by_line_rules(data: bytes, long_lines: int) -> None:
    """Batch splitting yields exactly the lines and rest of splitting one line at a time."""
    data = data.replace(b"a", b"a" * (MAX_LINE_BYTES // 2 + 1), long_lines)
    lines, rest = _one_by_one(data)

    assert (b"".join(line + b"\n" for line in lines), rest) == whole_lines(data)


@given(st.lists(_BYTES.map(b"".join), max_size=6))
def test_host_lines_do_not_depend_on_how_output_is_chunked(chunks: list[bytes]) -> None:
    """Whatever the chunks, the host emits the lines of the joined bytes, then its tail."""
    events: list[BuildEvent] = []
    step_id = uuid.uuid4()
    with (
        tempfile.TemporaryDirectory() as state,
        Host(state_dir=Path(state), emit=events.append) as host,
    ):
        context = host.context("local", step_id=step_id)
        for chunk in chunks:
            context.emit_step_log(StdStream.STDOUT, chunk)
        host.end_step(step_id)
    lines, rest = _one_by_one(b"".join(chunks))
    expected = [line.decode("utf-8", "replace") for line in [*lines, *([rest] if rest else [])]]

    assert expected == [event.line for event in events if isinstance(event, StepLog)]


@given(st.lists(st.text(), min_size=1))
def test_a_json_batch_is_byte_for_byte_one_event_per_line(lines: list[str]) -> None:
    """A batch encodes to exactly the lines each ``step_log`` event would, in one write."""
    lines = [line.replace("\n", " ") for line in lines]
    batch = StepLogBatch(
        step_id=uuid.uuid4(),
        stream=StdStream.STDERR,
        ts=datetime.now(UTC),
        text="".join(f"{line}\n" for line in lines),
    )
    out = _Writes()

    JsonRenderer(out).on_event(batch)

    expected = "".join(to_json(event) + "\n" for event in batch.events())
    assert (expected, 1) == (out.getvalue().decode("utf-8"), out.writes)


def test_logs_mode_writes_a_batch_prefixed_in_one_write() -> None:
    """`--logs` writes every line of a batch with its step's prefix, in one write."""
    step_id = uuid.uuid4()
    out = _Writes()
    renderer = LinesRenderer(out, stream_logs=True)
    renderer.on_event(StepQueued(step_id=step_id, key="build", chain_idx=0))
    before = out.writes
    batch = StepLogBatch(
        step_id=step_id, stream=StdStream.STDOUT, ts=datetime.now(UTC), text="one\n\n[x] é\n"
    )

    renderer.on_event(batch)

    assert (b"[build] one\n[build] \n[build] [x] \xc3\xa9\n", before + 1) == (
        out.getvalue(),
        out.writes,
    )


def test_a_batch_keeps_the_same_bounded_tail_as_its_lines() -> None:
    """Extending a tail by a batch keeps what appending its lines one by one keeps."""
    text = "".join(f"line {n}\n" for n in range(3 * REPLAY_LINES + 7))
    by_batch, by_line = Tail(), Tail()
    by_batch.append("earlier")
    by_line.append("earlier")

    by_batch.extend(text)
    for line in text[:-1].split("\n"):
        by_line.append(line)

    assert (list(by_line.lines), by_line.dropped, by_line.size) == (
        list(by_batch.lines),
        by_batch.dropped,
        by_batch.size,
    )


def test_step_log_hooks_and_on_event_still_see_every_line(hm_home: Path) -> None:
    """A step_log hook and an embedder's ``on_event`` get one ``StepLog`` per line."""
    hooked: list[str] = []
    seen: list[str] = []

    class Listener:
        @harmont.hookimpl
        def hm_plugin_manifest(self) -> PluginManifest:
            return PluginManifest(
                api_version=API_VERSION,
                name="listener",
                version="0.1.0",
                description="counts output lines",
                capabilities=(
                    LifecycleHookSpec(
                        events=(HookEventKind.STEP_LOG,), phase=HookPhase.AFTER, timeout_ms=5000
                    ),
                ),
            )

        @harmont.hookimpl
        def hm_on_hook_event(self, context: object, hook_event: Any) -> HookContinue:
            hooked.append(hook_event.event.line)
            return HookContinue()

    def on_event(event: BuildEvent) -> None:
        if isinstance(event, StepLog):
            seen.append(event.line)

    result = harmont.run(
        {
            "version": "0",
            "steps": [{"type": "command", "key": "count", "cmd": "seq 1 5000"}],
        },
        directory=hm_home,
        runner="local",
        on_event=on_event,
        plugins=[Listener()],
    )

    expected = [str(n) for n in range(1, 5001)]
    assert (0, expected, expected) == (result.exit_code, hooked, seen)
