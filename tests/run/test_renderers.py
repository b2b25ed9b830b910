"""The renderers of `hm run`, fed event streams directly."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

import pytest

from harmont._renderers import color_enabled
from harmont._renderers._human import HumanRenderer
from harmont._renderers._json import JsonRenderer
from harmont._renderers._lines import LinesRenderer
from harmont._renderers._view import REPLAY_LINES
from harmont.protocol import (
    BuildEnd,
    BuildEvent,
    BuildStart,
    ChainFailed,
    PlanSummary,
    StdStream,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
    from_json,
)

#: Terminal control sequences (cursor, style): what rich draws besides the text.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_OK, _BAD, _HIT = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


def _build() -> list[BuildEvent]:
    """Three steps: one passes, one is a cache hit, one fails after printing markup."""
    return [
        BuildStart(
            run_id=uuid.UUID(int=9),
            plan=PlanSummary(step_count=4, chain_count=2, default_runner="local"),
            started_at=_NOW,
        ),
        StepQueued(step_id=_OK, key="ok", chain_idx=0),
        StepStart(step_id=_OK, runner="local"),
        StepLog(step_id=_OK, stream=StdStream.STDOUT, line="fine", ts=_NOW),
        StepEnd(step_id=_OK, exit_code=0, duration_ms=12),
        StepQueued(step_id=_HIT, key="cached", chain_idx=0),
        StepCacheHit(step_id=_HIT, key="k" * 64, tag="harmont-local/cached:kkkk"),
        StepStart(step_id=_HIT, runner="local"),
        StepEnd(step_id=_HIT, exit_code=0, duration_ms=1),
        StepQueued(step_id=_BAD, key="bad", chain_idx=1),
        StepStart(step_id=_BAD, runner="local", image="alpine"),
        StepLog(step_id=_BAD, stream=StdStream.STDERR, line="[bold]not markup[/]", ts=_NOW),
        StepEnd(step_id=_BAD, exit_code=2, duration_ms=1500),
        ChainFailed(
            chain_idx=1,
            failed_step_id=_BAD,
            failed_step_key="bad",
            exit_code=2,
            message="step 'bad' exited with code 2",
            ts=_NOW,
        ),
        BuildEnd(exit_code=1, duration_ms=1600),
    ]


def _lines(
    *,
    stream_logs: bool,
    events: list[BuildEvent] | None = None,
    exit_code: int | None = None,
    failure: str | None = "step 'bad' exited with code 2",
) -> list[str]:
    out = io.BytesIO()
    renderer = LinesRenderer(out, stream_logs=stream_logs)
    for event in _build() if events is None else events:
        renderer.on_event(event)
    renderer.close(failure, exit_code=exit_code, skipped=["deploy"])
    return out.getvalue().decode().splitlines()


def _one_step(exit_code: int, lines: int = 0, *, build_exit: int = 1) -> list[BuildEvent]:
    """A build of one step ``s`` printing *lines* numbered lines and ending *exit_code*."""
    return [
        BuildStart(
            run_id=uuid.UUID(int=9),
            plan=PlanSummary(step_count=1, chain_count=1, default_runner="local"),
            started_at=_NOW,
        ),
        StepQueued(step_id=_BAD, key="s", chain_idx=0),
        StepStart(step_id=_BAD, runner="local"),
        *(
            StepLog(step_id=_BAD, stream=StdStream.STDOUT, line=str(n), ts=_NOW)
            for n in range(1, lines + 1)
        ),
        StepEnd(step_id=_BAD, exit_code=exit_code, duration_ms=2000),
        BuildEnd(exit_code=build_exit, duration_ms=2100),
    ]


class TestLines:
    def test_plain_mode_replays_failed_output_and_summarises(self) -> None:
        """Without --logs: status lines, the failed step's output verbatim, a summary."""
        expected = [
            "build: 4 steps in 2 chains, default runner local",
            "[ok] start (runner local)",
            "✓ ok  12ms",
            "[cached] cache hit (harmont-local/cached:kkkk)",
            "[cached] start (runner local)",
            "✓ cached  cached · 1ms",
            "[bad] start (runner local, image alpine)",
            "✗ bad  exit 2 · 1.5s",
            "--- bad: exit 2 · 1.5s ---",
            "[bold]not markup[/]",
            "1 passed, 1 cached, 1 failed, 1 skipped",
            "skipped: deploy",
            "build failed (exit 1) in 1.6s: step 'bad' exited with code 2",
        ]

        assert expected == _lines(stream_logs=False)

    def test_a_step_that_hit_its_timeout_says_so(self) -> None:
        """Exit 124 from the executor reads as a timeout, not as a failure code."""
        lines = _lines(stream_logs=False, events=_one_step(124), failure=None)

        assert "✗ s  timed out after 2.0s" in lines
        assert "1 timed out, 1 skipped" in lines

    def test_a_cancelled_build_says_so_once(self) -> None:
        """The closing line of a cancelled build does not repeat the word as its reason."""
        lines = _lines(
            stream_logs=False, events=_one_step(130, build_exit=130), failure="cancelled"
        )

        assert ["✗ s  cancelled · 2.0s", "build cancelled (exit 130) in 2.1s"] == [
            lines[-4],
            lines[-1],
        ]

    def test_the_closing_line_carries_the_process_exit_code(self) -> None:
        """An error raised after build_start shows the code hm exits with, not the build's."""
        lines = _lines(stream_logs=False, events=_one_step(1), exit_code=6, failure=None)

        assert "build failed (exit 6) in 2.1s" == lines[-1]

    def test_the_replay_keeps_a_bounded_tail(self) -> None:
        """A failed step's replay shows its last REPLAY_LINES lines and counts the others."""
        lines = _lines(stream_logs=False, events=_one_step(1, REPLAY_LINES + 5), failure=None)

        start = lines.index("--- s: exit 1 · 2.0s ---")
        assert ["(5 earlier lines not shown)", "6", "7"] == lines[start + 1 : start + 4]
        assert str(REPLAY_LINES + 5) == lines[start + 1 + REPLAY_LINES]

    def test_logs_mode_streams_prefixed_lines_without_replay(self) -> None:
        """With --logs every output line is streamed as [key] line, and not replayed."""
        lines = _lines(stream_logs=True)

        assert ["[ok] fine", "[bad] [bold]not markup[/]"] == [
            line for line in lines if line.startswith(("[ok] f", "[bad] ["))
        ]
        assert not any(line.startswith("--- bad") for line in lines)


class TestJson:
    def test_one_decodable_event_per_line(self) -> None:
        """Each event is one line of JSON that decodes back to the same event."""
        out = io.BytesIO()
        renderer = JsonRenderer(out, io.BytesIO())
        for event in _build():
            renderer.on_event(event)

        lines = out.getvalue().decode().splitlines()

        assert _build() == [from_json(BuildEvent, line) for line in lines]

    def test_failure_and_warnings_go_to_stderr(self) -> None:
        """Nothing but events reaches stdout; the reason and warnings go to stderr."""
        out, err = io.BytesIO(), io.BytesIO()
        renderer = JsonRenderer(out, err)

        renderer.warn("careful")
        renderer.close("it broke")

        assert (b"", b"warning: careful\nbuild failed: it broke\n") == (
            out.getvalue(),
            err.getvalue(),
        )


class TestHuman:
    def test_status_replay_and_summary(self) -> None:
        """The live renderer leaves ✓/✗ lines, the raw replay and a one-line summary."""
        text, raw = io.StringIO(), io.BytesIO()
        renderer = HumanRenderer(text, raw, color=False)
        for event in _build():
            renderer.on_event(event)
        renderer.close("step 'bad' exited with code 2", skipped=["deploy"])
        shown = _ANSI.sub("", text.getvalue())

        assert "✓ ok  12ms" in shown
        assert "✓ cached  cached · 1ms" in shown
        assert "✗ bad  exit 2 · 1.5s" in shown
        assert "1 passed, 1 cached, 1 failed, 1 skipped\nskipped: deploy\n" in shown
        assert "build failed (exit 1) in 1.6s: step 'bad' exited with code 2" in shown
        assert "--- bad: exit 2 · 1.5s ---\n[bold]not markup[/]\n" == raw.getvalue().decode()

    def test_each_step_is_shown_once(self) -> None:
        """A finished step has its one status line; the summary does not list it again."""
        text = io.StringIO()
        renderer = HumanRenderer(text, io.BytesIO(), color=False)
        for event in _build():
            renderer.on_event(event)
        renderer.close("step 'bad' exited with code 2")
        shown = _ANSI.sub("", text.getvalue())

        assert (1, 1) == (shown.count("✓ ok"), shown.count("✗ bad"))


@pytest.mark.parametrize(
    ("no_color", "isatty", "env", "expected"),
    [
        (False, True, None, True),
        (True, True, None, False),
        (False, False, None, False),
        (False, True, "1", False),
    ],
)
def test_color_needs_a_terminal_and_no_opt_out(
    monkeypatch: pytest.MonkeyPatch, no_color: bool, isatty: bool, env: str | None, expected: bool
) -> None:
    """Colour is on only on a terminal, without --no-color and without NO_COLOR."""
    if env is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", env)

    assert expected == color_enabled(no_color=no_color, isatty=isatty)
