"""
Running one shell command as a process group: streamed output, a time limit, cancellation.

The command runs as ``sh -c <cmd>`` in a new session, so it leads its own process group
and everything it starts (pipelines, ``&`` jobs, their children) belongs to that group.
The group is the unit that is killed: on timeout, on cancellation, and once the shell has
exited, so a step that leaves a daemon behind does not outlive it. A process that calls
``setsid`` itself leaves the group and is out of reach, as it would be under any shell.

Output is read with one selector on the calling thread (no reader threads): the same loop
polls the cancellation callback and the deadline, so cancellation is noticed within one
poll interval even when the command prints nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Final

import attrs

from harmont._orchestrator._cleanup import on_forced_exit
from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_TIMED_OUT
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

__all__ = ["EXIT_CANCELLED", "EXIT_TIMED_OUT", "ProcessOutcome", "kill_group", "run_shell"]


#: How often the loop wakes to poll cancellation and the deadline while nothing is printed.
POLL_SECONDS: Final = 0.05

_CHUNK: Final = 65536
#: Selector tag of the pidfd, which becomes readable when the shell exits.
_EXIT: Final = "exit"


@attrs.frozen(kw_only=True)
class ProcessOutcome:
    """How a command ended."""

    #: The shell's exit status; 128 + N for a signal N; 124 timed out; 130 cancelled.
    exit_code: int
    #: The time limit was reached and the group was killed.
    timed_out: bool = False
    #: Cancellation was requested and the group was killed.
    cancelled: bool = False


#: Process groups of steps still running, killed at interpreter exit and on a forced exit
#: (:mod:`harmont._orchestrator._cleanup`) so that no step outlives `hm`.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK: Final = threading.Lock()


def kill_group(pgid: int) -> None:
    """SIGKILL every process of group *pgid*; a group that is already gone is fine."""
    # ProcessLookupError: gone already; PermissionError: only zombies remain (some kernels).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


@on_forced_exit
@atexit.register
def _kill_live_groups() -> None:
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for pgid in groups:
        kill_group(pgid)


def _open_pidfd(pid: int) -> int | None:
    """A pidfd for *pid* (Linux 5.3+), which lets one select() wait for exit and output."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, or an old kernel: poll instead
        return None


def _exited(pid: int) -> bool:
    """
    Whether child *pid* has exited, without reaping it.

    Leaving the zombie in place keeps its pid, which is also the group id, from being
    reused until the group has been killed and the child is waited for.
    """
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


class _Watch:
    """Decides when the group dies: cancellation, the deadline, or the shell's exit."""

    def __init__(
        self, pid: int, should_cancel: Callable[[], bool], timeout_seconds: float | None
    ) -> None:
        self.pid = pid
        self.should_cancel = should_cancel
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self.exited = self.cancelled = self.timed_out = self.killed = False

    def check(self, *, poll_exit: bool) -> None:
        if self.killed:
            return
        if self.should_cancel():
            self.cancelled = True
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.timed_out = True
        if poll_exit and not self.exited:
            self.exited = _exited(self.pid)
        # Once the shell is gone, whatever it left running (holding our pipes or not)
        # is killed: a step never outlives its shell.
        if self.cancelled or self.timed_out or self.exited:
            kill_group(self.pid)
            self.killed = True


def _pump(
    selector: selectors.BaseSelector,
    on_output: Callable[[StdStream, bytes], None],
    watch: _Watch,
) -> None:
    """Wait up to one poll interval; hand over output, note EOFs and the shell's exit."""
    for key, _ in selector.select(POLL_SECONDS):
        if key.data is _EXIT:
            watch.exited = True
            selector.unregister(key.fileobj)
            continue
        chunk = os.read(key.fd, _CHUNK)
        if chunk:
            on_output(key.data, chunk)
        else:
            selector.unregister(key.fileobj)


def run_shell(
    cmd: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_output: Callable[[StdStream, bytes], None],
    should_cancel: Callable[[], bool],
    timeout_seconds: float | None = None,
) -> ProcessOutcome:
    """
    Run ``sh -c cmd`` in *cwd* with exactly *env* and wait for it.

    :param on_output: receives raw chunks as they arrive (not split into lines), on the
        calling thread.
    :param should_cancel: polled at least every :data:`POLL_SECONDS`; once it returns
        True the whole group is killed and the outcome is :data:`EXIT_CANCELLED`.
    :param timeout_seconds: wall-clock limit; when reached the whole group is killed and
        the outcome is :data:`EXIT_TIMED_OUT`.
    :raises OSError: ``sh`` could not be started (the caller translates it).
    """
    process = subprocess.Popen(
        ["sh", "-c", cmd],
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(process.pid)
    watch = _Watch(process.pid, should_cancel, timeout_seconds)
    pidfd = _open_pidfd(process.pid)
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, StdStream.STDOUT)
        selector.register(process.stderr, selectors.EVENT_READ, StdStream.STDERR)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, _EXIT)
        try:
            while selector.get_map() or not watch.killed:
                if selector.get_map():
                    _pump(selector, on_output, watch)
                else:  # no pidfd, and the shell closed its output but is still running
                    time.sleep(POLL_SECONDS)
                watch.check(poll_exit=pidfd is None)
        finally:
            if not watch.killed:
                kill_group(process.pid)
            with _LIVE_LOCK:
                _LIVE_GROUPS.discard(process.pid)
            if pidfd is not None:
                os.close(pidfd)
            process.stdout.close()
            process.stderr.close()
    returncode = process.wait()
    if watch.cancelled:
        return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True)
    if watch.timed_out:
        return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True)
    return ProcessOutcome(exit_code=128 - returncode if returncode < 0 else returncode)
