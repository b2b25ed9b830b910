"""The masker: every form of every secret value, whole or cut across reads, becomes ***."""

from __future__ import annotations

import base64
import logging
import urllib.parse
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import pytest

import harmont
from harmont._plugins._host import Host
from harmont._secrets import Masker, parse_secrets
from harmont.protocol import ChainFailed, Level, StdStream, StepLog
from harmont_sdk import StepExecutor, StepResult, executor, manifest

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont._plugins._step_output import StepLogBatch
    from harmont.protocol import BuildEvent, ExecutorInput

SECRET: Final = "t0ken/with+chars"
ENCODED: Final = (
    base64.b64encode(SECRET.encode()).decode().rstrip("="),
    base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
    urllib.parse.quote(SECRET, safe=""),
    urllib.parse.quote_plus(SECRET, safe=""),
)


def _through(masker: Masker, chunks: list[bytes]) -> bytes:
    stream = masker.stream()
    return b"".join(stream.feed(chunk) for chunk in chunks) + stream.flush()


class TestMasker:
    def test_every_form_is_masked(self) -> None:
        """The value, its base64 (both alphabets) and URL-encoded forms all read ***."""
        text = " ".join((SECRET, *ENCODED))

        assert " ".join(["***"] * 5) == Masker([SECRET]).mask(text)

    def test_short_values_are_masked_only_as_themselves(self) -> None:
        """A value under four characters is masked, its encodings (common words) are not."""
        masker = Masker(["abc"])

        assert "*** YWJj" == masker.mask("abc YWJj")

    def test_a_value_containing_another_is_masked_whole(self) -> None:
        """Longer forms win, so no fragment of the longer value is left around a mask."""
        assert "[***]" == Masker(["pass", "password1"]).mask("[password1]")

    def test_a_value_cut_at_every_position_is_masked(self) -> None:
        """However a stream cuts the value, across two or three reads, none of it shows."""
        masker = Masker([SECRET])
        data = f"before {SECRET} after {ENCODED[0]} end".encode()
        for first in range(len(data)):
            for second in range(first, len(data)):
                chunks = [data[:first], data[first:second], data[second:]]

                assert b"before *** after *** end" == _through(masker, chunks)

    def test_complete_lines_are_released_at_once(self) -> None:
        """Only bytes after the last newline are held: a finished line is never delayed."""
        stream = Masker([SECRET]).stream()

        assert b"line one\n" == stream.feed(b"line one\nt0k")
        assert b"t0k rest\n" == stream.feed(b" rest\n")

    def test_a_multiline_value_is_masked_across_lines(self) -> None:
        """A value holding a newline (a key file) is held back over line ends too."""
        key = "-----BEGIN-----\nabcdef\n-----END-----"
        data = f"x{key}y\n".encode()

        assert b"x***y\n" == _through(Masker([key]), [data[:10], data[10:20], data[20:]])

    def test_without_values_nothing_changes(self) -> None:
        """No secrets: chunks pass through untouched and unheld."""
        stream = Masker().stream()

        assert b"partial t0k" == stream.feed(b"partial t0k")


class TestParseSecrets:
    def test_values_come_from_the_option_or_the_environment(self) -> None:
        """NAME=VALUE takes VALUE; NAME alone takes the environment's."""
        assert {"A": "1=2", "B": "env"} == parse_secrets(["A=1=2", "B"], {"B": "env"})

    @pytest.mark.parametrize("spec", ["MISSING", "1BAD=x", "=x", "A-B"])
    def test_bad_or_missing_names_are_usage_errors(self, spec: str) -> None:
        """A name that is no variable name, or absent from the environment, is refused."""
        with pytest.raises(harmont.UsageError):
            parse_secrets([spec], {})


class _Leaky(StepExecutor):
    """Runner ``leaky``: prints the secret cut in two, logs it, then fails quoting it."""

    manifest = manifest("leaky-plugin", "1.0.0", executor("leaky"))

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        from harmont.protocol import StdStream

        value = executor_input.env["TOKEN"]
        context.emit_step_log(StdStream.STDOUT, f"half {value[:5]}".encode())
        context.emit_step_log(StdStream.STDOUT, f"{value[5:]} done\n".encode())
        context.emit_event(
            StepLog(
                step_id=executor_input.step_id,
                stream=StdStream.STDERR,
                line=f"emitted {value}",
                ts=datetime.now(UTC),
            )
        )
        context.log(Level.WARN, f"about to fail with {value}")
        raise harmont.PluginRuntimeError(f"the server refused token {value}", code="refused")


def test_results_events_errors_and_logs_hold_no_value(
    hm_home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A plugin that prints, logs and raises the value leaves *** in every place hm keeps."""
    seen: list[Any] = []
    pipeline = {"version": "0", "steps": [{"type": "command", "key": "a", "cmd": "x"}]}

    with caplog.at_level(logging.WARNING):
        result = harmont.run(
            pipeline,
            directory=tmp_path,
            runner="leaky",
            plugins=[_Leaky()],
            secrets={"TOKEN": SECRET},
            keep_logs=True,
            on_event=seen.append,
        )

    lines = [e.line for e in result.events if isinstance(e, StepLog)]
    [failed] = [e for e in result.events if isinstance(e, ChainFailed)]
    assert ["emitted ***", "half *** done"] == sorted(lines)
    assert "the server refused token ***" in failed.message
    assert "the server refused token ***" in (result.failure or "")
    assert "the server refused token ***" in (result.step("a").error or "")
    assert "about to fail with ***" in caplog.text
    everything = repr(seen) + repr(result) + caplog.text
    assert [] == [form for form in (SECRET, *ENCODED) if form in everything]


@pytest.mark.parametrize("batches", [True, False], ids=["batches", "line-events"])
def test_host_output_is_masked_however_the_chunks_cut_it(tmp_path: Path, batches: bool) -> None:
    """
    The host masks chunks before cutting lines: batches and line events alike hold ***
    wherever a read splits a value, and a tail held back as a possible value start comes
    out at step end, in order, before the unfinished line.
    """
    data = f"a {SECRET}\nb {ENCODED[0]} c\nend {SECRET[:3]}".encode()
    lines: dict[uuid.UUID, list[str]] = {}

    def batch(b: StepLogBatch) -> None:
        lines.setdefault(b.step_id, []).extend(b.lines())

    def event(e: BuildEvent) -> None:
        assert isinstance(e, StepLog)
        lines.setdefault(e.step_id, []).append(e.line)

    with Host(
        state_dir=tmp_path,
        emit=event,
        emit_log_batch=batch if batches else None,
        masker=Masker([SECRET]),
    ) as host:
        for cut in range(len(data) + 1):
            step_id = uuid.uuid4()
            context = host.context("local", step_id=step_id)
            context.emit_step_log(StdStream.STDOUT, data[:cut])
            context.emit_step_log(StdStream.STDOUT, data[cut:])
            host.end_step(step_id)

            assert ["a ***", "b *** c", f"end {SECRET[:3]}"] == lines[step_id], cut
