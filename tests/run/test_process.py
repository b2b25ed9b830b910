"""The process-group runner under the local executor: output, exit codes, kills."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from harmont._executors._process import _StepWait, run_shell
from harmont.protocol import StdStream
from tests.run.rig import TIMEOUT_SECONDS, live_commands, survivors

#: The shell every command here runs.
_SH: Final = shutil.which("sh") or "/bin/sh"
#: hm's own open descriptors, where the kernel lists them.
_OWN_FDS: Final = Path("/proc/self/fd")

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._executors._process import ProcessOutcome


def _run(
    cmd: str,
    tmp_path: Path,
    *,
    timeout: float | None = None,
    should_cancel: Callable[[], bool] = lambda: False,
) -> tuple[ProcessOutcome, list[tuple[StdStream, bytes]]]:
    chunks: list[tuple[StdStream, bytes]] = []
    outcome = run_shell(
        cmd,
        sh=_SH,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        on_output=lambda stream, data: chunks.append((stream, data)),
        should_cancel=should_cancel,
        timeout_seconds=timeout,
    )
    return outcome, chunks


@pytest.fixture(autouse=True, params=["pidfd", "waitid", "poll"])
def exit_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """
    Every test thrice: the shell's exit seen on a pidfd, by ``waitid`` as without one,
    and polled as without either (macOS).
    """
    needs = {"pidfd": "pidfd_open", "waitid": "waitid", "poll": None}[request.param]
    if needs is not None and not hasattr(os, needs):
        pytest.skip(f"no {needs} here")
    if request.param != "pidfd":
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    if request.param == "poll":
        monkeypatch.delattr(os, "waitid", raising=False)
    return str(request.param)


def _running(*commands: str) -> bool:
    """Whether every one of *commands* (``sleep 822221``...) is a live process."""
    return set(commands) <= set(live_commands("sleep "))


class TestRunShell:
    def test_output_is_split_by_stream(self, tmp_path: Path) -> None:
        """stdout and stderr arrive tagged with their stream."""
        outcome, chunks = _run("echo out; echo err >&2", tmp_path)

        assert 0 == outcome.exit_code
        assert {(StdStream.STDOUT, b"out\n"), (StdStream.STDERR, b"err\n")} == set(chunks)

    def test_runs_in_cwd_with_exactly_env(self, tmp_path: Path) -> None:
        """The command runs in cwd and sees only the env it was given."""
        _outcome, chunks = _run('pwd; echo "${HOME:-no home}"', tmp_path)

        assert f"{tmp_path}\nno home\n".encode() == b"".join(data for _, data in chunks)

    def test_signal_death_is_128_plus_signal(self, tmp_path: Path) -> None:
        """A shell killed by SIGTERM reports 143, as a shell would."""
        outcome, _ = _run("kill -TERM $$", tmp_path)

        assert 143 == outcome.exit_code

    def test_leftover_background_processes_are_killed(self, tmp_path: Path) -> None:
        """Whatever the shell left running dies with it, pipes held or not."""
        outcome, _ = _run("sleep 811111 & sleep 811112 >/dev/null 2>&1 & echo done", tmp_path)

        assert 0 == outcome.exit_code
        assert [] == survivors("81111")

    def test_a_writer_that_left_the_group_is_reported_and_not_waited_for(
        self, tmp_path: Path
    ) -> None:
        """A setsid child holding stdout is left running; the outcome says it escaped."""
        # The escapee outlives the step by a second or two, then ends on its own.
        sleep = f"sleep 2.{time.monotonic_ns()}"
        outcome, chunks = _run(
            f"setsid sh -c 'echo up; exec {sleep}' & sleep 0.3; echo main", tmp_path
        )
        escapee = live_commands(sleep)

        assert (0, True) == (outcome.exit_code, outcome.escaped)
        assert [b"main", b"up"] == sorted(b"".join(data for _, data in chunks).split())
        assert 1 == len(escapee)

    def test_an_escaped_writer_faster_than_hm_does_not_hold_the_step(self, tmp_path: Path) -> None:
        """Draining stops at what a pipe holds: the step ends, and the writer gets SIGPIPE."""
        word = f"hm-endless-{time.monotonic_ns()}"
        outcomes: list[ProcessOutcome] = []

        def slow_reader(stream: StdStream, data: bytes) -> None:
            time.sleep(0.05)  # slower than `yes` fills the pipe again, even on a busy machine

        def step() -> None:
            outcomes.append(
                run_shell(
                    f"setsid yes {word} & sleep 0.3",
                    sh=_SH,
                    cwd=tmp_path,
                    env={"PATH": os.environ["PATH"]},
                    on_output=slow_reader,
                    should_cancel=lambda: False,
                )
            )

        runner = threading.Thread(target=step, daemon=True)
        runner.start()
        runner.join(TIMEOUT_SECONDS)

        assert [True] == [outcome.escaped for outcome in outcomes]
        assert [] == survivors(word)

    def test_a_child_in_the_group_holding_output_is_killed_not_escaped(
        self, tmp_path: Path
    ) -> None:
        """A background child still writing when the shell exits dies with the step."""
        outcome, chunks = _run("(echo up; exec sleep 855551) & sleep 0.3; echo main", tmp_path)

        assert (0, False) == (outcome.exit_code, outcome.escaped)
        assert [b"main", b"up"] == sorted(b"".join(data for _, data in chunks).split())
        assert [] == survivors("sleep 85555")

    def test_shell_that_closes_its_output_is_still_waited_for(self, tmp_path: Path) -> None:
        """Closing stdout and stderr does not end the step; the shell's exit does."""
        outcome, _ = _run("exec >&- 2>&-; sleep 0.3; exit 3", tmp_path)

        assert 3 == outcome.exit_code

    def test_timeout_kills_the_group_with_124(self, tmp_path: Path) -> None:
        """At the time limit the whole group is killed and the outcome says timed out."""
        sleeps = ("sleep 822221", "sleep 822222")
        seen_running = []

        def watch() -> bool:  # polled while the command runs; never cancels
            seen_running.append(_running(*sleeps))
            return False

        started = time.monotonic()
        outcome, _ = _run(" & ".join(sleeps), tmp_path, timeout=1, should_cancel=watch)

        assert (124, True, False) == (outcome.exit_code, outcome.timed_out, outcome.cancelled)
        assert time.monotonic() - started < 5
        assert any(seen_running), "the sleeps never ran before the time limit"
        assert [] == survivors("82222")

    def test_cancellation_kills_the_group_with_130(self, tmp_path: Path) -> None:
        """Once should_cancel says so, the whole group is killed within a poll or two."""
        sleeps = ("sleep 833331", "sleep 833332")
        outcome, _ = _run(" & ".join(sleeps), tmp_path, should_cancel=lambda: _running(*sleeps))

        assert (130, False, True) == (outcome.exit_code, outcome.timed_out, outcome.cancelled)
        assert [] == survivors("83333")

    @pytest.mark.skipif(not _OWN_FDS.is_dir(), reason="needs /proc")
    def test_the_shell_gets_null_stdin_two_pipes_and_a_session_of_its_own(
        self, tmp_path: Path
    ) -> None:
        """$0 is sh, stdin /dev/null, stdout and stderr pipes, no other descriptor, own session."""
        _outcome, chunks = _run(
            'echo "$0"; [ /dev/stdin -ef /dev/null ] && echo null-stdin;'
            " [ -p /dev/stdout ] && [ -p /dev/stderr ] && echo piped;"
            ' echo "$$ $$"; cut -d " " -f 5,6 /proc/$$/stat;'
            " ls /proc/$$/fd",  # a simple command: the shell holds no pipe of its own meanwhile
            tmp_path,
        )

        lines = b"".join(data for _, data in chunks).decode().splitlines()
        assert ["sh", "null-stdin", "piped"] == lines[:3]
        assert lines[3] == lines[4], "the shell leads neither its own group nor its session"
        assert ["0", "1", "2"] == sorted(lines[5:])

    @pytest.mark.skipif(not _OWN_FDS.is_dir(), reason="needs /proc")
    def test_no_descriptor_outlives_a_step(self, tmp_path: Path) -> None:
        """A step that ran, timed out, or could not start leaves no descriptor open in hm."""
        before = sorted(fd.name for fd in _OWN_FDS.iterdir())

        _run("echo out; echo err >&2", tmp_path)
        _run("sleep 844441", tmp_path, timeout=0.2)
        with pytest.raises(OSError, match="No such file"):
            _run("true", tmp_path / "absent")
        with pytest.raises(ValueError, match="null"):
            _run("true\0", tmp_path)

        assert before == sorted(fd.name for fd in _OWN_FDS.iterdir())

    @pytest.mark.skipif(not _OWN_FDS.is_dir(), reason="needs /proc")
    def test_no_descriptor_outlives_a_wait_that_fails_at_its_end(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A wait left early whose clean-up fails to end the group still closes the pipes."""
        before = sorted(fd.name for fd in _OWN_FDS.iterdir())
        end_group = _StepWait._end_group

        def failing(wait: _StepWait) -> None:
            end_group(wait)
            raise RuntimeError("the end of the group failed")

        def interrupted() -> bool:
            raise KeyboardInterrupt

        monkeypatch.setattr(_StepWait, "_end_group", failing)

        with pytest.raises(RuntimeError, match="the end of the group failed"):
            _run("sleep 844442", tmp_path, should_cancel=interrupted)

        assert before == sorted(fd.name for fd in _OWN_FDS.iterdir())


def test_steps_spawned_together_never_look_escaped(tmp_path: Path) -> None:
    """Many steps started at once on several threads: no one's pipes are held by another's."""
    outcomes: list[ProcessOutcome] = []

    def steps() -> None:
        for _ in range(40):
            outcomes.append(_run("true", tmp_path)[0])

    threads = [threading.Thread(target=steps) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [] == [outcome for outcome in outcomes if outcome.escaped or outcome.exit_code]
    assert 160 == len(outcomes)


class _ForkAtSpawn:
    """
    An audit hook that forks a child when ``Popen`` is about to spawn with one given env:
    the step's pipes exist in `hm` at that instant, so the child inherits their write ends,
    as a child that another thread forks then (a hook's subprocess, a native worker) does.
    The child keeps them for :data:`_HOLD_SECONDS`, as until its own exec, then exits.
    Audit hooks cannot be removed: this one is added once and acts on its env alone.
    """

    def __init__(self) -> None:
        self.env: dict[str, str] | None = None
        self.children: list[int] = []
        sys.addaudithook(self)

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "subprocess.Popen" or self.env is None or args[3] is not self.env:
            return
        # Python 3.12 warns of a fork in a process with threads (the xdist worker's): this
        # child runs no Python but a sleep and exits, which is safe.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            time.sleep(_HOLD_SECONDS)
            os._exit(0)
        self.children.append(pid)


#: How long the child of :class:`_ForkAtSpawn` holds what it inherited: longer than a step
#: of ``echo`` takes, well within the grace a step's pipes get once its group is gone
#: (``_FORK_GRACE_SECONDS``), so that a loaded machine's delays cannot fail the test.
_HOLD_SECONDS: Final = 0.1


@functools.cache
def _fork_at_spawn() -> _ForkAtSpawn:
    return _ForkAtSpawn()


def test_a_child_forked_meanwhile_does_not_make_a_step_look_escaped(tmp_path: Path) -> None:
    """A short step whose pipes a child forked meanwhile holds is waited for, not escaped."""
    forker = _fork_at_spawn()
    forker.env = {"PATH": os.environ["PATH"]}
    forker.children.clear()
    chunks: list[tuple[StdStream, bytes]] = []
    try:
        outcome = run_shell(
            "echo out",
            sh=_SH,
            cwd=tmp_path,
            env=forker.env,
            on_output=lambda stream, data: chunks.append((stream, data)),
            should_cancel=lambda: False,
        )
    finally:
        forker.env = None
        for pid in forker.children:
            os.waitpid(pid, 0)

    assert 1 == len(forker.children)
    assert (0, False) == (outcome.exit_code, outcome.escaped)
    assert [(StdStream.STDOUT, b"out\n")] == chunks
