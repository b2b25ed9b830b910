"""The renderers of `hm run`, fed event streams directly."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont._orchestrator._preflight import PullProgress
from harmont._orchestrator._result import (
    StepSkipped,
    StepStatus,
    failure_message,
    failure_status,
)
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
    CommandStep,
    PlanSummary,
    StdStream,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
    from_json,
)

if TYPE_CHECKING:
    from pathlib import Path

    from harmont._orchestrator._result import RunEvent

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


def _one_step(
    exit_code: int, lines: int = 0, *, build_exit: int = 1, failure: str | None = None
) -> list[BuildEvent]:
    """
    A build of one step ``s`` printing *lines* numbered lines and ending *exit_code*,
    followed by a ``chain_failed`` with the message *failure* when one is given.
    """
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
        *_chain_failed(_BAD, "s", exit_code, failure),
        BuildEnd(exit_code=build_exit, duration_ms=2100),
    ]


def _chain_failed(
    step_id: uuid.UUID, key: str, exit_code: int, message: str | None
) -> list[BuildEvent]:
    """The chain_failed the scheduler sends after a failed step (none for no *message*)."""
    if message is None:
        return []
    return [
        ChainFailed(
            chain_idx=0,
            failed_step_id=step_id,
            failed_step_key=key,
            exit_code=exit_code,
            message=message,
            ts=_NOW,
        )
    ]


def _errored_pair() -> list[BuildEvent]:
    """Two steps whose plugin failed (keep-going): each gets its own error and hint."""
    events: list[BuildEvent] = [
        BuildStart(
            run_id=uuid.UUID(int=9),
            plan=PlanSummary(step_count=2, chain_count=2, default_runner="local"),
            started_at=_NOW,
        )
    ]
    for step_id, key in ((_OK, "one"), (_BAD, "two")):
        events += [
            StepQueued(step_id=step_id, key=key, chain_idx=0),
            StepStart(step_id=step_id, runner="faulty"),
            StepEnd(step_id=step_id, exit_code=1, duration_ms=3),
            *_chain_failed(step_id, key, 1, f"farm down for {key} (hint: fix {key})"),
        ]
    return [*events, BuildEnd(exit_code=6, duration_ms=10)]


class TestLines:
    def test_plain_mode_replays_failed_output_and_summarises(self) -> None:
        """Without --logs: status lines, the failed step's output verbatim, a summary."""
        expected = [
            "build: 4 steps in 2 chains, default runner local",
            "[ok] start (runner local)",
            "✓ ok  12ms",
            "[cached] cache hit (runner local, from harmont-local/cached:kkkk)",
            "✓ cached  cached · 1ms",
            "[bad] start (runner local, image alpine)",
            "✗ bad  exit 2 · 1.5s",
            "--- bad: exit 2 · 1.5s ---",
            "[bold]not markup[/]",
            "1 passed, 1 cached, 1 failed, 1 skipped",
            "skipped: deploy",
            "build failed (exit 1) in 1.6s: 1 step failed: bad (exit 2)",
        ]

        assert expected == _lines(stream_logs=False)

    def test_a_step_that_hit_its_timeout_says_so(self) -> None:
        """A step the scheduler says timed out reads as a timeout, not as a failure code."""
        events = _one_step(124, failure="step 's' timed out after 2s")

        lines = _lines(stream_logs=False, events=events, failure=None)

        assert "✗ s  timed out after 2.0s" in lines
        assert "1 timed out, 1 skipped" in lines

    def test_exit_124_without_a_timeout_is_a_failure(self) -> None:
        """A command exiting 124 by itself (the step has no timeout) is an ordinary failure."""
        events = _one_step(124, failure="step 's' exited with code 124")

        lines = _lines(stream_logs=False, events=events, failure=None)

        assert ("✗ s  exit 124 · 2.0s", "1 failed, 1 skipped") == (lines[2], lines[3])

    def test_every_plugin_error_is_shown_with_its_hint(self) -> None:
        """Each errored step reads "errored" and the replay gives each one's error."""
        lines = _lines(stream_logs=False, events=_errored_pair(), failure=None)

        assert [
            "✗ one  errored · 3ms",
            "✗ two  errored · 3ms",
            "--- one: errored · 3ms ---",
            "error: farm down for one (hint: fix one)",
            "--- two: errored · 3ms ---",
            "error: farm down for two (hint: fix two)",
            "2 errored, 1 skipped",
        ] == [line for line in lines if not line.startswith(("build", "[", "skipped:"))]

    def test_plugin_errors_show_with_logs_too(self) -> None:
        """--logs streams output instead of replaying it, but still gives each plugin error."""
        lines = _lines(stream_logs=True, events=_errored_pair(), failure=None)

        assert [
            "✗ one  errored · 3ms",
            "[one] error: farm down for one (hint: fix one)",
            "✗ two  errored · 3ms",
            "[two] error: farm down for two (hint: fix two)",
        ] == [line for line in lines if line.startswith(("✗", "[one] e", "[two] e"))]

    def test_a_failed_step_without_chain_failed_is_shown_at_build_end(self) -> None:
        """A step whose build stopped on an error before its chain_failed still gets its line."""
        lines = _lines(stream_logs=False, events=_one_step(1), exit_code=4, failure=None)

        assert ["✗ s  exit 1 · 2.0s", "1 failed, 1 skipped"] == lines[2:4]

    def test_counts_are_pluralised(self) -> None:
        """One step in one chain is "1 step in 1 chain"; one earlier line is "line"."""
        events = _one_step(1, REPLAY_LINES + 1, failure="step 's' exited with code 1")

        lines = _lines(stream_logs=False, events=events, failure=None)

        assert "build: 1 step in 1 chain, default runner local" == lines[0]
        assert "(1 earlier line not shown)" in lines

    def test_a_cancelled_build_says_so_once(self) -> None:
        """The closing line of a cancelled build does not repeat the word as its reason."""
        events = _one_step(130, build_exit=130, failure="step 's' was cancelled")

        lines = _lines(stream_logs=False, events=events, failure="cancelled")

        assert ["✗ s  cancelled · 2.0s", "build cancelled (exit 130) in 2.1s"] == [
            lines[-4],
            lines[-1],
        ]

    def test_the_closing_line_carries_the_process_exit_code(self) -> None:
        """An error raised after build_start shows the code hm exits with, not the build's."""
        lines = _lines(stream_logs=False, events=_one_step(1), exit_code=6, failure=None)

        assert "build failed (exit 6) in 2.1s: 1 step failed: s (exit 1)" == lines[-1]

    def test_the_replay_keeps_a_bounded_tail(self) -> None:
        """A failed step's replay shows its last REPLAY_LINES lines and counts the others."""
        events = _one_step(1, REPLAY_LINES + 5, failure="step 's' exited with code 1")

        lines = _lines(stream_logs=False, events=events, failure=None)

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


#: Three steps --only left out: one by a label of its own, two by a label they share.
_UNSELECTED = [
    CommandStep(key="lint", cmd="true", label="check the style of every file of the tree"),
    CommandStep(key="unit", cmd="true", label="test"),
    CommandStep(key="e2e", cmd="true", label="test"),
]


def _skipped_records() -> list[RunEvent]:
    start = BuildStart(
        run_id=uuid.UUID(int=9),
        plan=PlanSummary(step_count=0, chain_count=0, default_runner=None),
        started_at=_NOW,
    )
    return [start, *(StepSkipped(key=step.key, reason="selection") for step in _UNSELECTED)]


class TestSkippedBySelection:
    def test_plain_lines_name_the_label_with_a_shared_ones_key(self) -> None:
        """`- label  skipped: not selected`, the key added where two steps share the label."""
        out = io.BytesIO()
        renderer = LinesRenderer(out, stream_logs=False)
        renderer.describe(_UNSELECTED)
        for event in _skipped_records():
            renderer.on_event(event)

        assert [
            "- check the style of every file of the tree  skipped: not selected",
            "- test (unit)  skipped: not selected",
            "- test (e2e)  skipped: not selected",
        ] == out.getvalue().decode().splitlines()[1:]

    def test_on_a_terminal_they_fit_the_width_and_a_shared_labels_key_is_dim(self) -> None:
        """A long label is cut with `…` so the reason stays on the line; the lines are dim."""
        text = io.StringIO()
        renderer = HumanRenderer(text, io.BytesIO(), color=True, width=40)
        renderer.describe(_UNSELECTED)
        for event in _skipped_records():
            renderer.on_event(event)
        renderer.close()
        drawn = text.getvalue()
        lines = [line for line in _ANSI.sub("", drawn).splitlines() if line.startswith("- ")]

        assert [
            "- check the styl…  skipped: not selected",
            "- test (unit)  skipped: not selected",
            "- test (e2e)  skipped: not selected",
        ] == lines
        assert 40 == len(lines[0])
        assert "\x1b[2m (unit)" in drawn, drawn


class TestPulls:
    def test_a_finished_pulls_line_is_cut_to_the_width_on_a_terminal(self) -> None:
        """The line a pull leaves never wraps, however long the image's name."""
        text = io.StringIO()
        renderer = HumanRenderer(text, io.BytesIO(), color=True, width=40)
        image = "registry.example:5000/team/a-very-long-image-name:1.2.3"
        renderer.on_pull(PullProgress(image=image, layers=2, layers_done=2, size=9))
        renderer.on_pull(PullProgress(image=image, layers=2, finished=True, updated=True))
        renderer.close()
        lines = [line for line in _ANSI.sub("", text.getvalue()).splitlines() if line.strip()]

        assert [line for line in lines if line.startswith("pulled ")] == [
            "pulled registry.example:5000/team/a-ver…"
        ]


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
        assert "build failed (exit 1) in 1.6s: 1 step failed: bad (exit 2)" in shown
        assert "--- bad: exit 2 · 1.5s ---\n[bold]not markup[/]\n" == raw.getvalue().decode()

    def test_plugin_errors_are_replayed_and_marked_errored(self) -> None:
        """The live renderer marks each errored step and replays each plugin error."""
        text, raw = io.StringIO(), io.BytesIO()
        renderer = HumanRenderer(text, raw, color=False)
        for event in _errored_pair():
            renderer.on_event(event)
        renderer.close("farm down for one (hint: fix one)")
        shown = _ANSI.sub("", text.getvalue())

        assert ("✗ one  errored · 3ms", "✗ two  errored · 3ms") == tuple(
            line for line in shown.splitlines() if line.startswith("✗")
        )
        assert "build: 2 steps in 2 chains, default runner local\n" in shown
        assert (
            "--- one: errored · 3ms ---\nerror: farm down for one (hint: fix one)\n"
            "--- two: errored · 3ms ---\nerror: farm down for two (hint: fix two)\n"
        ) == raw.getvalue().decode()

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


class TestWithTheScheduler:
    def test_exit_124_is_a_timeout_only_for_a_step_with_one(self, hm_home: Path) -> None:
        """Renderer and scheduler agree: 124 reads as a timeout only when the step has one."""
        out = io.BytesIO()
        renderer = LinesRenderer(out, stream_logs=False)
        pipeline = {
            "version": "0",
            "steps": [
                {"type": "command", "key": "own", "cmd": "exit 124"},
                {"type": "command", "key": "slow", "cmd": "sleep 30", "timeout_seconds": 1},
            ],
        }

        result = harmont.run(
            pipeline, directory=hm_home, runner="local", keep_going=True, on_event=renderer.on_event
        )
        renderer.close(result.failure, exit_code=result.exit_code)
        lines = out.getvalue().decode().splitlines()

        assert {"own": "failed", "slow": "timed_out"} == {
            step.key: step.status.value for step in result.steps
        }
        assert ["✗ own  exit 124 ·", "✗ slow  timed out after"] == sorted(
            re.sub(r" [0-9.]+m?s$", "", line) for line in lines if line.startswith("✗")
        )
        assert "1 failed, 1 timed out" in lines


class TestFailureStatus:
    @pytest.mark.parametrize(
        ("exit_code", "message", "expected"),
        [
            (124, "step 's' timed out after 5s", StepStatus.TIMED_OUT),
            (124, "step 's' exited with code 124", StepStatus.FAILED),
            (130, "step 's' was cancelled", StepStatus.CANCELLED),
            (2, "step 's' exited with code 2", StepStatus.FAILED),
            (1, "plugin 'p' failed during 'execute_step': boom", StepStatus.ERRORED),
            (1, "step 'other' exited with code 1", StepStatus.ERRORED),
        ],
    )
    def test_reads_back_the_schedulers_status(
        self, exit_code: int, message: str, expected: StepStatus
    ) -> None:
        """The status of a failed step of key ``s`` follows from its chain_failed message."""
        assert expected == failure_status("s", exit_code, message)

    @pytest.mark.parametrize(
        ("status", "exit_code"),
        [
            (StepStatus.TIMED_OUT, 124),
            (StepStatus.CANCELLED, 130),
            (StepStatus.FAILED, 124),
            (StepStatus.FAILED, 3),
        ],
    )
    def test_round_trips_every_message_the_scheduler_builds(
        self, status: StepStatus, exit_code: int
    ) -> None:
        """failure_status inverts failure_message for each status the scheduler gives."""
        message = failure_message("s", status, exit_code=exit_code, timeout=7)

        assert status == failure_status("s", exit_code, message)
