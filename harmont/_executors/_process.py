"""
Steps as process groups on this machine: outcomes, the group registry, the one launcher.

:func:`run_shell` is how the local runner runs every step: `hm` spawns ``sh -c cmd``
itself (``vfork`` and ``exec``, about a third of the CPU of having a shell fork a
subshell that ``exec``\\ s a ``setsid`` command that ``exec``\\ s ``sh``), as the leader of
a new session and so of a process group of its own, with no controlling terminal: a
step that asks the terminal for a password fails at once instead of stopping until its
time limit. The group is the unit that is killed: on timeout, on cancellation, and once
the step's shell has exited, so a step that leaves a child behind does not outlive it.
Groups in flight are registered here and killed at interpreter exit and on a forced exit,
so that no step outlives `hm`.

Which ``sh``: the one on the step's own ``PATH`` (a step may point ``PATH`` at another
shell), else `hm`'s own (:class:`StepShells`), spawned by its absolute path, so a step
whose ``PATH`` holds no ``sh`` still starts, and fails as its shell says (127).

How a step ends:

- Its shell exits: `hm` learns it from a pidfd (Linux), else from ``waitid`` with
  ``WNOWAIT``, while the shell is still a zombie, so the group's id cannot yet name anyone
  else: the group is killed, then the shell is reaped (and the group forgotten), then the
  step's two pipes are drained until every writer has closed them. (Where neither exists,
  macOS, a poll reaps the shell first, and the group is killed just after.) A writer still
  there once the group is gone, and for :data:`_FORK_GRACE_SECONDS` after, escaped the
  group (``setsid``, a double fork into another session): it cannot hold the step open.
  The pipes are closed, its further writes fail, and the outcome says ``escaped`` so the
  executor warns.
- Its time limit passes or the run is cancelled: the group is killed, and the step ends
  as above.

Output is read in 64 KiB chunks on the calling thread, one :func:`select.poll` over both
pipes and the pidfd, which also wakes every :data:`POLL_SECONDS` to poll cancellation and
the deadline.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont._orchestrator._cleanup import on_forced_exit
from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_TIMED_OUT
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_TIMED_OUT",
    "POLL_SECONDS",
    "SPAWN_LOCK",
    "ProcessOutcome",
    "StepShells",
    "find_sh",
    "run_shell",
]


#: How often a wait wakes to poll cancellation and the deadline while nothing is printed.
POLL_SECONDS: Final = 0.05

_CHUNK: Final = 65536
#: How long a killed step's group may take to die before a writer left on its pipes counts
#: as escaped (a SIGKILLed process releases its descriptors within milliseconds).
_ESCAPE_SECONDS: Final = 2.0
#: How long a pipe may stay open once the step's group is gone before its writer counts as
#: escaped. A child that another thread of `hm` forked (a hook's subprocess, a native
#: worker) while the step's pipes were being made holds their write ends until its own
#: ``exec`` closes them (they are close-on-exec), which takes that child milliseconds, or
#: longer on a loaded machine; only :data:`SPAWN_LOCK`'s holders are kept out of that
#: instant. Only a step that really left a writer behind pays it, once.
_FORK_GRACE_SECONDS: Final = 0.5
#: The most chunks one drain reads from a pipe: more than the largest pipe buffer Linux
#: allows by default (``/proc/sys/fs/pipe-max-size``, 1 MiB).
_DRAIN_CHUNKS: Final = 32
#: The first nap of a wait for the shell's exit with nothing to select on.
_FIRST_NAP_SECONDS: Final = 0.0005
#: :data:`POLL_SECONDS` as :meth:`select.poll.poll` takes it.
_POLL_MS: Final = POLL_SECONDS * 1000


@attrs.frozen(kw_only=True)
class ProcessOutcome:
    """How a command ended."""

    #: The shell's exit status; 128 + N for a signal N; 124 timed out; 130 cancelled.
    exit_code: int
    #: The time limit was reached and the group was killed.
    timed_out: bool = False
    #: Cancellation was requested and the group was killed.
    cancelled: bool = False
    #: A process outside the step's group (it called ``setsid``) still held the step's
    #: output when the step ended; it was left running and its output is no longer read.
    escaped: bool = False


#: Held around every process the local runner spawns while steps run. A child forked on
#: another thread holds a copy of every descriptor `hm` has open until it has closed them
#: on its way to ``exec``: were that a step's pipe, still open in `hm` while the step's
#: own spawn is under way, the step could end while the pipe still had a writer, which
#: would read as a process that escaped the step's group.
SPAWN_LOCK: Final = threading.Lock()

#: Process groups of steps still running, killed at interpreter exit and on a forced exit
#: (:mod:`harmont._orchestrator._cleanup`) so that no step outlives `hm`.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK: Final = threading.Lock()


def find_sh(path: str) -> str | None:
    """
    The ``sh`` that *path* (a ``PATH`` value) leads to, as an absolute path; None if none.

    Only absolute entries count: a relative one would name a directory relative to
    whichever step's directory the shell starts in, which one lookup cannot know.
    """
    absolute = os.pathsep.join(
        entry for entry in path.split(os.pathsep) if entry.startswith(os.sep)
    )
    return shutil.which("sh", path=absolute) if absolute else None


@final
class StepShells:
    """
    The ``sh`` each step runs: the one on the step's ``PATH``, else *fallback* (`hm`'s).

    Each ``PATH`` value is looked up once, so a step pays no ``stat`` for its shell: steps
    of one pipeline share a handful of ``PATH`` values. Thread-safe: two steps that look up
    a new ``PATH`` at once both find the same shell, and either answer is kept.
    """

    def __init__(self, fallback: str) -> None:
        self._fallback = fallback
        self._found: dict[str, str] = {}

    def of(self, path: str) -> str:
        """The ``sh`` of a step whose ``PATH`` is *path*."""
        found = self._found.get(path)
        if found is None:
            found = self._found[path] = find_sh(path) or self._fallback
        return found


def _kill_group(pgid: int) -> None:
    """SIGKILL every process of group *pgid*; a group that is already gone is fine."""
    # ProcessLookupError: gone already; PermissionError: only zombies remain (some kernels).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _track_group(pgid: int) -> None:
    """Register group *pgid* to be killed if `hm` exits while it runs."""
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(pgid)


def _untrack_group(pgid: int) -> None:
    """Forget group *pgid* (killed or over)."""
    with _LIVE_LOCK:
        _LIVE_GROUPS.discard(pgid)


@on_forced_exit
@atexit.register
def _kill_live_groups() -> None:
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for pgid in groups:
        _kill_group(pgid)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # only zombies left, on some kernels
        return True
    return False


def run_shell(
    cmd: str,
    *,
    sh: str,
    cwd: Path,
    env: Mapping[str, str],
    on_output: Callable[[StdStream, bytes], None],
    should_cancel: Callable[[], bool],
    timeout_seconds: float | None = None,
) -> ProcessOutcome:
    """
    Run ``sh -c cmd`` in *cwd* with exactly *env* and stdin ``/dev/null``, as a process
    group (and session) of its own, and wait for it (see the module docstring).

    :param sh: the absolute path of the ``sh`` to run (:class:`StepShells`); the step's
        ``PATH`` is not searched for it, so a step whose ``PATH`` has none still starts.
    :param on_output: receives raw chunks as they arrive (not split into lines), on the
        calling thread.
    :param should_cancel: polled at least every :data:`POLL_SECONDS`; once it returns
        True the whole group is killed and the outcome is :data:`EXIT_CANCELLED`.
    :param timeout_seconds: wall-clock limit; when reached the whole group is killed and
        the outcome is :data:`EXIT_TIMED_OUT`.
    :raises OSError: *sh* could not be started, or *cwd* is not a directory.
    :raises ValueError: the command, the env or *cwd* holds a NUL byte.
    """
    process, pipes = _spawn(cmd, sh, os.fspath(cwd), env)
    wait = _StepWait(process, pipes, on_output, should_cancel, timeout_seconds)
    try:
        return wait.run()
    finally:
        wait.close()


def _spawn(
    cmd: str, sh: str, cwd: str, env: Mapping[str, str]
) -> tuple[subprocess.Popen[bytes], tuple[int, int]]:
    """
    Start the step's shell, registered to be killed at exit; it, and the read ends of its
    stdout and stderr pipes.

    The pipes are made here rather than by :class:`subprocess.Popen`, which would wrap each
    read end in a file object that the wait has no use for; their write ends are closed
    under :data:`SPAWN_LOCK`, as :class:`subprocess.Popen` closes those it makes.
    """
    with SPAWN_LOCK:
        stdout, stdout_w = os.pipe()
        try:
            stderr, stderr_w = os.pipe()
        except BaseException:
            os.close(stdout)
            os.close(stdout_w)
            raise
        try:
            process = subprocess.Popen(
                ("sh", "-c", cmd),  # argv[0], the step's $0, is `sh` as a shell would give it
                executable=sh,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout_w,
                stderr=stderr_w,
                start_new_session=True,
            )
        except BaseException:
            os.close(stdout)
            os.close(stderr)
            raise
        finally:
            os.close(stdout_w)
            os.close(stderr_w)
        _track_group(process.pid)
    return process, (stdout, stderr)


class _StepWait:
    """
    The wait for one step: reads its pipes until its shell has exited and they are done.

    One :func:`select.poll` over the pipes and the pidfd: registering a descriptor with it
    is no system call, where an epoll selector would cost one to make, three to register
    and three to unregister for every step.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        pipes: tuple[int, int],
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        timeout_seconds: float | None,
    ) -> None:
        self.process = process
        #: The pipes still open, by descriptor; a pipe goes once it reads as EOF.
        self.pipes = {pipes[0]: StdStream.STDOUT, pipes[1]: StdStream.STDERR}
        #: Both pipes (stdout's read end, stderr's), closed at the end, at EOF or not.
        self.fds = pipes
        self.on_output = on_output
        self.should_cancel = should_cancel
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        # Opened by run(), which its caller pairs with close(): nothing made here can leak.
        self.pidfd: int | None = None
        self.poller = select.poll()
        self.exited = False
        self.stop: str | None = None  # "cancelled" or "timed out", once the group is killed
        self.ended_at: float | None = None  # when the step's shell was reaped
        self.gone_at: float | None = None  # when its group was first seen gone after that

    def run(self) -> ProcessOutcome:
        self.pidfd = _pidfd(self.process.pid)
        for fd in self.fds:
            os.set_blocking(fd, False)
            self.poller.register(fd, select.POLLIN)
        if self.pidfd is not None:
            self.poller.register(self.pidfd, select.POLLIN)
        escaped = self._loop()
        returncode = self.process.returncode
        if self.stop == "cancelled":
            return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True, escaped=escaped)
        if self.stop == "timed out":
            return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True, escaped=escaped)
        code = 128 - returncode if returncode < 0 else returncode
        return ProcessOutcome(exit_code=code, escaped=escaped)

    def close(self) -> None:
        """End the group unless the shell's exit did, then close the pipes."""
        try:
            if self.ended_at is None:
                self._end_group()
        finally:
            for fd in self.fds:
                os.close(fd)
            if self.pidfd is not None:
                os.close(self.pidfd)

    def _loop(self) -> bool:
        """Pump until the shell is reaped and its pipes drained; whether a writer escaped."""
        while True:
            if self.pidfd is None and not self.pipes and self.ended_at is None:
                self._nap_until_exit()
            else:
                for fd, _ in self.poller.poll(_POLL_MS):
                    self._read(fd)
            if self.ended_at is None:
                if not self._shell_exited():
                    self._check_stop()
                    continue
                # The shell is a zombie (or, where only a poll can tell, just reaped): its
                # pid still names its group, whose processes die with it.
                self._end_group()
            self._drain()
            if not self.pipes:
                return False
            if self._writer_escaped():
                self._drain()  # the last of the group may just have closed
                self.pipes.clear()
                return True

    def _end_group(self) -> None:
        """Kill the group, reap its leader (the shell), and forget the group at once."""
        _kill_group(self.process.pid)
        self.process.wait()
        _untrack_group(self.process.pid)
        self.ended_at = time.monotonic()

    def _writer_escaped(self) -> bool:
        """Whether the writer left on the pipes of an ended step is outside its group."""
        now = time.monotonic()
        if self.gone_at is None and _group_gone(self.process.pid):
            self.gone_at = now
        if self.gone_at is not None:
            return now - self.gone_at > _FORK_GRACE_SECONDS
        assert self.ended_at is not None
        return now - self.ended_at > _ESCAPE_SECONDS

    def _nap_until_exit(self) -> None:
        """
        With nothing to select on (no pidfd, both pipes closed), poll the shell's exit for
        up to :data:`POLL_SECONDS`, in naps that grow from :data:`_FIRST_NAP_SECONDS` as
        :meth:`subprocess.Popen.wait`'s do, so a shell that is about to exit is seen at once.
        """
        deadline = time.monotonic() + POLL_SECONDS
        nap = _FIRST_NAP_SECONDS
        while not self._shell_exited() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(nap, left))
            nap *= 2

    def _shell_exited(self) -> bool:
        if self.pidfd is None and not self.exited:
            if hasattr(os, "waitid"):
                self.exited = _exited_unreaped(self.process.pid)
            else:  # macOS: the poll reaps the shell
                self.exited = self.process.poll() is not None
        return self.exited

    def _read(self, fd: int) -> None:
        if fd == self.pidfd:
            self.poller.unregister(fd)
            self.exited = True
            return
        self._read_pipe(fd)

    def _read_pipe(self, fd: int) -> bool:
        """Read one chunk of pipe *fd*; whether there may be more to read now."""
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return False
        if chunk:
            self.on_output(self.pipes[fd], chunk)
            return True
        self.poller.unregister(fd)
        del self.pipes[fd]
        return False

    def _drain(self) -> None:
        """
        Read what is left; a pipe with no writer left reads as EOF and is done. A full pipe
        is read to its end, but no more: an escaped writer may never stop writing.
        """
        for fd in list(self.pipes):
            for _ in range(_DRAIN_CHUNKS):
                if not self._read_pipe(fd):
                    break

    def _check_stop(self) -> None:
        if self.stop is not None:
            return
        if self.should_cancel():
            self.stop = "cancelled"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop = "timed out"
        else:
            return
        _kill_group(self.process.pid)


def _exited_unreaped(pid: int) -> bool:
    """Whether child *pid* has exited, leaving it a zombie (``WNOWAIT``) for the caller."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already: an embedding program ignores SIGCHLD
        return True


def _pidfd(pid: int) -> int | None:
    """A descriptor that turns readable when process *pid* exits; None where there is none."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, a kernel before 5.3, or a seccomp filter
        return None
