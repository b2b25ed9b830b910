"""The host calls other than KV: log, events, step logs, cancel, output, archives, config files."""

from __future__ import annotations

import io
import logging
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from harmont import UsageError
from harmont._orchestrator import ArchiveStore
from harmont._plugins._host import MAX_LINE_BYTES, Host
from harmont.protocol import BuildEnd, BuildEvent, Level, StdStream, StepLog

if TYPE_CHECKING:
    from pathlib import Path


def _lines(events: list[BuildEvent]) -> list[tuple[uuid.UUID, StdStream, str]]:
    return [(e.step_id, e.stream, e.line) for e in events if isinstance(e, StepLog)]


class TestIdentity:
    def test_context_carries_plugin_run_and_step(self, host: Host) -> None:
        """A context reports the plugin, run and step it was made for."""
        run_id, step_id = uuid.uuid4(), uuid.uuid4()
        context = host.context("docker", run_id=run_id, step_id=step_id)

        assert ("docker", run_id, step_id) == (context.plugin, context.run_id, context.step_id)

    def test_context_without_run_or_step(self, host: Host) -> None:
        """A context made for CLI dispatch has neither run nor step."""
        context = host.context("cloud")

        assert (None, None) == (context.run_id, context.step_id)


class TestSecretNames:
    def test_a_run_context_names_the_run_secrets(self, state_dir: Path) -> None:
        """The names only: the values reach executors in each step's env, as before."""
        with Host(state_dir=state_dir, secret_names=frozenset({"TOKEN"})) as host:
            context = host.context("kubernetes", run_id=uuid.uuid4())

            assert frozenset({"TOKEN"}) == context.secret_names

    def test_outside_a_build_there_are_none(self, state_dir: Path) -> None:
        with Host(state_dir=state_dir, secret_names=frozenset({"TOKEN"})) as host:
            assert frozenset() == host.context("kubernetes").secret_names


class TestLog:
    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            (Level.TRACE, logging.DEBUG),
            (Level.DEBUG, logging.DEBUG),
            (Level.INFO, logging.INFO),
            (Level.WARN, logging.WARNING),
            (Level.ERROR, logging.ERROR),
        ],
    )
    def test_level_maps_to_python_logging(
        self, host: Host, caplog: pytest.LogCaptureFixture, level: Level, expected: int
    ) -> None:
        """Each protocol level logs at its Python logging level."""
        caplog.set_level(logging.DEBUG)

        host.context("docker").log(level, "pulling image")

        assert [(expected, "pulling image")] == [
            (r.levelno, r.getMessage()) for r in caplog.records
        ]

    def test_record_is_attributed(self, host: Host, caplog: pytest.LogCaptureFixture) -> None:
        """The record is on the plugin's logger and carries its run and step."""
        caplog.set_level(logging.DEBUG)
        run_id, step_id = uuid.uuid4(), uuid.uuid4()

        host.context("docker", run_id=run_id, step_id=step_id).log(Level.INFO, "100% done")
        record = caplog.records[0]

        assert ("harmont.plugin.docker", "100% done", run_id, step_id) == (
            record.name,
            record.getMessage(),
            record.__dict__["harmont_run_id"],
            record.__dict__["harmont_step_id"],
        )


class TestEmitEvent:
    def test_event_reaches_the_sink(self, host: Host, events: list[BuildEvent]) -> None:
        """An emitted event is delivered to the run's sink unchanged."""
        event = BuildEnd(exit_code=0, duration_ms=12)

        host.context("junit").emit_event(event)

        assert [event] == events

    def test_noop_host_drops_events(self, state_dir: Path) -> None:
        """The no-op host accepts events and delivers them nowhere."""
        with Host.noop(state_dir=state_dir) as host:
            host.context("junit").emit_event(BuildEnd(exit_code=0, duration_ms=1))
            host.context("junit", step_id=uuid.uuid4()).emit_step_log(StdStream.STDOUT, b"x\n")


class TestEmitStepLog:
    def test_lines_are_attributed_to_the_calling_step(
        self, host: Host, events: list[BuildEvent]
    ) -> None:
        """Each line becomes a StepLog carrying the context's step id and stream."""
        step_id = uuid.uuid4()
        before = datetime.now(UTC)

        host.context("docker", step_id=step_id).emit_step_log(StdStream.STDERR, b"warning: x\n")

        assert [(step_id, StdStream.STDERR, "warning: x")] == _lines(events)
        assert isinstance(events[0], StepLog)
        assert before <= events[0].ts <= datetime.now(UTC)

    def test_chunks_are_joined_into_lines(self, host: Host, events: list[BuildEvent]) -> None:
        """Lines split across chunks are emitted whole, several lines of one chunk one by one."""
        step_id = uuid.uuid4()
        context = host.context("docker", step_id=step_id)

        for chunk in (b"comp", b"iling\nlinking", b"\n\ndone\n"):
            context.emit_step_log(StdStream.STDOUT, chunk)

        assert ["compiling", "linking", "", "done"] == [line for _, _, line in _lines(events)]

    def test_tail_waits_for_end_step(self, host: Host, events: list[BuildEvent]) -> None:
        """Bytes after the last newline are emitted only when the step ends."""
        step_id = uuid.uuid4()
        host.context("docker", step_id=step_id).emit_step_log(StdStream.STDOUT, b"a\nno newline")
        before_end = _lines(events)

        host.end_step(step_id)

        assert [(step_id, StdStream.STDOUT, "a")] == before_end
        assert [
            (step_id, StdStream.STDOUT, "a"),
            (step_id, StdStream.STDOUT, "no newline"),
        ] == _lines(events)

    def test_close_flushes_tails(self, state_dir: Path) -> None:
        """Closing the host emits the unfinished lines of steps never ended."""
        events: list[BuildEvent] = []
        step_id = uuid.uuid4()
        with Host(state_dir=state_dir, emit=events.append) as host:
            host.context("docker", step_id=step_id).emit_step_log(StdStream.STDOUT, b"partial")

        assert [(step_id, StdStream.STDOUT, "partial")] == _lines(events)

    def test_crlf_is_one_line_ending(self, host: Host, events: list[BuildEvent]) -> None:
        """A CRLF ending yields the line without its carriage return; a lone CR is kept."""
        host.context("docker", step_id=uuid.uuid4()).emit_step_log(
            StdStream.STDOUT, b"windows\r\n10%\r20%\n"
        )

        assert ["windows", "10%\r20%"] == [line for _, _, line in _lines(events)]

    def test_streams_and_steps_are_buffered_apart(
        self, host: Host, events: list[BuildEvent]
    ) -> None:
        """Interleaved chunks of two steps and two streams never mix into one line."""
        first, second = uuid.uuid4(), uuid.uuid4()
        a, b = host.context("docker", step_id=first), host.context("docker", step_id=second)

        a.emit_step_log(StdStream.STDOUT, b"a-out ")
        a.emit_step_log(StdStream.STDERR, b"a-err ")
        b.emit_step_log(StdStream.STDOUT, b"b-out ")
        b.emit_step_log(StdStream.STDOUT, b"end\n")
        a.emit_step_log(StdStream.STDERR, b"end\n")
        a.emit_step_log(StdStream.STDOUT, b"end\n")

        assert [
            (second, StdStream.STDOUT, "b-out end"),
            (first, StdStream.STDERR, "a-err end"),
            (first, StdStream.STDOUT, "a-out end"),
        ] == _lines(events)

    def test_invalid_utf8_is_replaced(self, host: Host, events: list[BuildEvent]) -> None:
        """Bytes that are not UTF-8 decode to replacement characters instead of failing."""
        host.context("docker", step_id=uuid.uuid4()).emit_step_log(StdStream.STDOUT, b"\xffok\n")

        assert ["\ufffdok"] == [line for _, _, line in _lines(events)]

    def test_overlong_line_is_cut_on_a_character_boundary(
        self, host: Host, events: list[BuildEvent]
    ) -> None:
        """Output without newlines comes in pieces of at most MAX_LINE_BYTES, characters whole."""
        step_id = uuid.uuid4()
        data = "é".encode() * MAX_LINE_BYTES  # two bytes each

        host.context("docker", step_id=step_id).emit_step_log(StdStream.STDOUT, data)
        host.end_step(step_id)
        lines = [line for _, _, line in _lines(events)]

        assert "é" * MAX_LINE_BYTES == "".join(lines)
        assert all(len(line.encode()) <= MAX_LINE_BYTES for line in lines)
        assert "\ufffd" not in "".join(lines)

    def test_concurrent_writers_of_one_step_keep_lines_whole(
        self, host: Host, events: list[BuildEvent]
    ) -> None:
        """Eight threads writing whole lines to one step never produce a torn line."""
        step_id = uuid.uuid4()
        context = host.context("docker", step_id=step_id)

        def writer(n: int) -> None:
            for i in range(200):
                context.emit_step_log(StdStream.STDOUT, f"thread {n} line {i}\n".encode())

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        expected = sorted(f"thread {n} line {i}" for n in range(8) for i in range(200))
        assert expected == sorted(line for _, _, line in _lines(events))

    def test_outside_a_step_is_dropped_with_a_warning(
        self, host: Host, events: list[BuildEvent], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Output from a context without a step cannot be attributed: it is dropped, loudly."""
        host.context("junit").emit_step_log(StdStream.STDOUT, b"orphan\n")

        assert [] == events
        assert ["plugin 'junit': emit_step_log outside a step, 7 bytes of stdout dropped"] == [
            r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
        ]


class TestShouldCancel:
    def test_follows_the_cancel_event(self, state_dir: Path) -> None:
        """should_cancel is false until the run's event is set, then true for every context."""
        cancel = threading.Event()
        with Host(state_dir=state_dir, cancel=cancel) as host:
            context = host.context("docker", step_id=uuid.uuid4())
            before = context.should_cancel()
            cancel.set()

            assert (before, True, True) == (
                False,
                context.should_cancel(),
                host.context("other").should_cancel(),
            )

    def test_noop_host_is_never_cancelled(self, state_dir: Path) -> None:
        """The no-op host never reports cancellation."""
        with Host.noop(state_dir=state_dir) as host:
            assert host.context("cloud").should_cancel() is False


class TestWrite:
    def test_writes_reach_the_given_streams(self, state_dir: Path) -> None:
        """write_stdout and write_stderr land on the host's two streams, in order."""
        out, err = io.BytesIO(), io.BytesIO()
        with Host(state_dir=state_dir, stdout=out, stderr=err) as host:
            context = host.context("cloud")
            context.write_stdout(b"org: ")
            context.write_stderr(b"warning\n")
            context.write_stdout(b"acme\n")

        assert (b"org: acme\n", b"warning\n") == (out.getvalue(), err.getvalue())

    def test_default_streams_are_the_process_streams(
        self, state_dir: Path, capfdbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        """Without explicit streams, output goes to the process's stdout and stderr."""
        with Host.noop(state_dir=state_dir) as host:
            host.context("cloud").write_stdout(b"to stdout\n")
            host.context("cloud").write_stderr(b"to stderr\n")

        captured = capfdbinary.readouterr()
        assert (b"to stdout\n", b"to stderr\n") == (captured.out, captured.err)


class TestArchives:
    def test_reads_the_run_store(self, state_dir: Path) -> None:
        """archive_read and archive_total_size serve the run's archive store."""
        store = ArchiveStore()
        archive_id = store.register(b"0123456789")
        with Host(state_dir=state_dir, archives=store) as host:
            context = host.context("docker")

            assert (10, b"3456") == (
                context.archive_total_size(archive_id),
                context.archive_read(archive_id, 3, 4),
            )

    def test_without_a_store_every_archive_is_unknown(self, state_dir: Path) -> None:
        """A host without an archive store reads every archive as empty, size 0."""
        with Host.noop(state_dir=state_dir) as host:
            context = host.context("docker")

            assert (0, b"") == (
                context.archive_total_size(uuid.uuid4()),
                context.archive_read(uuid.uuid4(), 0, 10),
            )

    def test_negative_offset_is_refused(self, state_dir: Path) -> None:
        """A negative offset is a usage error, not a silent empty read."""
        store = ArchiveStore()
        with Host(state_dir=state_dir, archives=store) as host, pytest.raises(UsageError):
            host.context("docker").archive_read(store.register(b"x"), -1, 1)


class TestReadConfig:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Path:
        """``<repo>/.harmont`` with plan.json, a nested file, and a secret outside it."""
        config = tmp_path / "repo" / ".harmont"
        (config / "sub").mkdir(parents=True)
        (config / "plan.json").write_bytes(b'{"plan": 1}')
        (config / "sub" / "deep.txt").write_bytes(b"deep")
        (tmp_path / "repo" / "secret").write_bytes(b"secret")
        (tmp_path / "outside").write_bytes(b"outside")
        return config

    def test_reads_a_real_file(self, host: Host, config: Path) -> None:
        """A file under .harmont is returned byte for byte."""
        assert b'{"plan": 1}' == host.context("cloud").fs_read_config("plan.json")

    def test_reads_a_nested_file(self, host: Host, config: Path) -> None:
        """A relative path with directories is resolved under .harmont."""
        assert b"deep" == host.context("cloud").fs_read_config("sub/deep.txt")

    @pytest.mark.parametrize(
        "rel_path",
        ["../secret", "sub/../../secret", "sub/../plan.json", "..", ""],
    )
    def test_dotdot_is_refused(self, host: Host, config: Path, rel_path: str) -> None:
        """Any ``..`` component (and the empty path) returns None, even when the target exists."""
        assert host.context("cloud").fs_read_config(rel_path) is None

    def test_absolute_path_is_refused(self, host: Host, config: Path, tmp_path: Path) -> None:
        """An absolute path returns None, even one that points into .harmont."""
        context = host.context("cloud")

        assert (None, None) == (
            context.fs_read_config(str(config / "plan.json")),
            context.fs_read_config(str(tmp_path / "outside")),
        )

    def test_symlink_escape_is_refused(self, host: Host, config: Path, tmp_path: Path) -> None:
        """A symlink in .harmont that points outside it returns None."""
        (config / "escape").symlink_to(tmp_path / "outside")
        (config / "escape-dir").symlink_to(tmp_path)

        context = host.context("cloud")

        assert (None, None) == (
            context.fs_read_config("escape"),
            context.fs_read_config("escape-dir/outside"),
        )

    def test_symlink_inside_is_followed(self, host: Host, config: Path) -> None:
        """A symlink that stays inside .harmont is read through."""
        (config / "current.json").symlink_to("plan.json")

        assert b'{"plan": 1}' == host.context("cloud").fs_read_config("current.json")

    def test_symlink_loop_is_none(self, host: Host, config: Path) -> None:
        """A symlink loop returns None instead of raising."""
        (config / "loop").symlink_to("loop")

        assert host.context("cloud").fs_read_config("loop") is None

    @pytest.mark.parametrize("rel_path", ["missing.json", "sub"])
    def test_missing_file_or_directory_is_none(
        self, host: Host, config: Path, rel_path: str
    ) -> None:
        """A missing path or a directory returns None."""
        assert host.context("cloud").fs_read_config(rel_path) is None

    def test_fifo_is_none_without_blocking(self, host: Host, config: Path) -> None:
        """A FIFO under .harmont returns None instead of blocking on the read."""
        os.mkfifo(config / "pipe")

        assert host.context("cloud").fs_read_config("pipe") is None

    def test_no_config_directory_is_none(self, host: Host, tmp_path: Path) -> None:
        """Without a .harmont directory every read returns None."""
        (tmp_path / "repo").mkdir()

        assert host.context("cloud").fs_read_config("plan.json") is None

    def test_harmont_directory_may_be_a_symlink(self, state_dir: Path, tmp_path: Path) -> None:
        """A .harmont that is itself a symlink is the root that paths are confined to."""
        real = tmp_path / "shared-config"
        real.mkdir()
        (real / "plan.json").write_bytes(b"shared")
        (tmp_path / "repo").mkdir()
        (tmp_path / "repo" / ".harmont").symlink_to(real)

        with Host(project_root=tmp_path / "repo", state_dir=state_dir) as host:
            assert b"shared" == host.context("cloud").fs_read_config("plan.json")

    def test_without_project_root_the_cwd_is_used(
        self, state_dir: Path, config: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The no-op host reads ``.harmont`` of the current directory."""
        monkeypatch.chdir(config.parent)

        with Host.noop(state_dir=state_dir) as host:
            assert b'{"plan": 1}' == host.context("cloud").fs_read_config("plan.json")
