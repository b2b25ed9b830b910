"""
A chain's shell session on this machine: the local transport of :mod:`._shell_session`.

The session is ``sh`` started once per chain in its own session and process group, its
stdin a pipe for scripts, its stdout the status channel of :class:`DescriptorFraming`
(only the session writes there), its stderr the session's own complaints (shown as the
step's stderr). Each step gets two fresh FIFOs for its stdout and stderr, opened for
reading before its script is sent, and runs as a process group of its own
(:func:`._process.group_launcher`: ``setsid`` where there is one, else the Python running
`hm`).

How a step ends:

- Its shell exits (record ``E``): the host kills the step's process group, then drains the
  FIFOs until every writer has closed them. A writer still there once the group is gone
  escaped the group (``setsid``, a double fork into another session): it cannot hold the
  step open. The FIFOs are closed, its further writes fail, and the outcome says
  ``escaped`` so the executor warns once.
- Its time limit passes or the run is cancelled: the step's group and the session are
  killed (the step has failed, so its chain is over); the next step started on this object
  gets a new session.
- The session dies under it (a step that kills its parent): the step's group is killed and
  the step fails with the session's status and a line on its stderr.

Output is read in 64 KiB chunks on the calling thread, one selector for every descriptor,
which also wakes every :data:`POLL_SECONDS` to poll cancellation and the deadline.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import signal
import subprocess
import time
from typing import TYPE_CHECKING, Final, final

from harmont._executors._process import (
    EXIT_CANCELLED,
    EXIT_TIMED_OUT,
    POLL_SECONDS,
    ProcessOutcome,
    kill_group,
    track_group,
    untrack_group,
)
from harmont._executors._shell_session import SESSION_ARGV, DescriptorFraming, RecordParser
from harmont.protocol import StdStream

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from harmont._executors._shell_session import StepScript

__all__ = ["LocalSession"]

_CHUNK: Final = 65536
#: How long a killed step's group may take to die before a writer left on its FIFOs
#: counts as escaped (a SIGKILLed process releases its descriptors within milliseconds).
_ESCAPE_SECONDS: Final = 2.0
#: How long a stop waits for the session to name the step's group before killing it.
_START_SECONDS: Final = 2.0

#: Numbers the FIFOs of every session of this process (sessions of a run share a directory).
_FIFO_NUMBERS: Final = itertools.count()

#: Selector tags of the session's own descriptors.
_STATUS: Final = "status"
_SESSION_ERR: Final = "session-stderr"


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # only zombies left, on some kernels
        return True
    return False


@final
class LocalSession:
    """
    One chain's ``sh`` in *cwd* with *env*, started on the first step.

    :param fifos: a private directory for the steps' FIFOs.
    :param launcher: the ``sh`` words that make each step a process group
        (:func:`._process.group_launcher`).
    """

    def __init__(self, cwd: Path, env: Mapping[str, str], *, fifos: Path, launcher: bytes) -> None:
        self._cwd = cwd
        self._env = dict(env)
        self._fifos = fifos
        self._framing = DescriptorFraming(launcher=launcher, session_cwd=str(cwd))
        self._process: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        """
        Send the session's group SIGKILL without waiting for it to die: ending many
        sessions, kill them all first and :meth:`close` each after, so they die together.
        """
        if self._process is not None:
            kill_group(self._process.pid)

    def close(self) -> None:
        """End the session and everything in its process group; idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        kill_group(process.pid)
        untrack_group(process.pid)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        process.wait()

    def _session(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.close()
        process = subprocess.Popen(
            SESSION_ARGV,
            cwd=self._cwd,
            env=self._env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        track_group(process.pid)
        self._process = process
        return process

    def run(
        self,
        step: StepScript,
        *,
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        timeout_seconds: float | None = None,
    ) -> ProcessOutcome:
        """
        Run *step* in the session and wait for it (see the module docstring).

        :param on_output: receives raw chunks as they arrive, on the calling thread.
        :param should_cancel: polled at least every :data:`POLL_SECONDS`.
        :raises OSError: ``sh`` could not be started.
        :raises ValueError: the step's command, env or directory holds a NUL byte.
        """
        number = next(_FIFO_NUMBERS)
        paths = {
            StdStream.STDOUT: self._fifos / f"{number}.out",
            StdStream.STDERR: self._fifos / f"{number}.err",
        }
        script = self._framing.script(
            step, stdout=str(paths[StdStream.STDOUT]), stderr=str(paths[StdStream.STDERR])
        )
        fds: dict[StdStream, int] = {}
        try:
            for stream, path in paths.items():
                os.mkfifo(path, 0o600)
                fds[stream] = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            process = self._session()
            try:
                self._send(process, script)
            except BrokenPipeError:  # the session died between steps: start another
                process = self._session()
                self._send(process, script)
            wait = _StepWait(process, fds, on_output, should_cancel, timeout_seconds)
            outcome = wait.run()
            if wait.session_lost:
                self.close()
            return outcome
        finally:
            for fd in fds.values():
                with contextlib.suppress(OSError):
                    os.close(fd)
            for path in paths.values():
                with contextlib.suppress(OSError):
                    path.unlink()

    @staticmethod
    def _send(process: subprocess.Popen[bytes], script: bytes) -> None:
        assert process.stdin is not None
        process.stdin.write(script)
        process.stdin.flush()


class _StepWait:
    """The wait for one step: reads its FIFOs and the status channel until it is over."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        fifos: dict[StdStream, int],
        on_output: Callable[[StdStream, bytes], None],
        should_cancel: Callable[[], bool],
        timeout_seconds: float | None,
    ) -> None:
        self.process = process
        self.fifos = dict(fifos)
        self.on_output = on_output
        self.should_cancel = should_cancel
        self.deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        self.records = RecordParser()
        self.pgid: int | None = None
        self.status: int | None = None
        self.session_gone = False
        #: The session was killed or died: the caller closes it once the wait is over.
        self.session_lost = False
        self.stop: str | None = None  # "cancelled" or "timed out", once asked
        self.stop_asked_at = 0.0
        self.killed = False
        self.ended_at: float | None = None  # when the step's shell was known to be over

    def run(self) -> ProcessOutcome:
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ, _STATUS)
            selector.register(self.process.stderr, selectors.EVENT_READ, _SESSION_ERR)
            for stream, fd in self.fifos.items():
                selector.register(fd, selectors.EVENT_READ, stream)
            try:
                escaped = self._loop(selector)
            finally:
                if self.pgid is not None:
                    kill_group(self.pgid)
                    untrack_group(self.pgid)
        return self._outcome(escaped=escaped)

    def _loop(self, selector: selectors.BaseSelector) -> bool:
        """Pump until the step is over and its FIFOs drained; whether a writer escaped."""
        while True:
            for key, _ in selector.select(POLL_SECONDS):
                self._read(selector, key)
            self._check_stop()
            if self.ended_at is None and (self.status is not None or self.session_gone):
                self.ended_at = time.monotonic()
                if self.pgid is not None:
                    kill_group(self.pgid)
            if self.ended_at is None:
                continue
            self._probe_eof(selector)
            if not self.fifos:
                return False
            if time.monotonic() - self.ended_at > _ESCAPE_SECONDS or (
                self.pgid is not None and _group_gone(self.pgid)
            ):
                self._probe_eof(selector)  # the last of the group may just have closed
                for fd in list(self.fifos.values()):
                    selector.unregister(fd)
                self.fifos.clear()
                return True

    def _read(self, selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
        try:
            chunk = os.read(key.fd, _CHUNK)
        except BlockingIOError:
            return
        tag = key.data
        if tag == _STATUS:
            if not chunk:
                selector.unregister(key.fileobj)
                self.session_gone = True
                return
            for record in self.records.feed(chunk):
                if record.kind == "S":
                    self.pgid = record.value
                    track_group(record.value)
                else:
                    self.status = record.value
        elif tag == _SESSION_ERR:
            if chunk:
                self.on_output(StdStream.STDERR, chunk)
            else:
                selector.unregister(key.fileobj)
        elif chunk:
            self.on_output(tag, chunk)
        else:
            selector.unregister(key.fileobj)
            self.fifos.pop(tag, None)

    def _probe_eof(self, selector: selectors.BaseSelector) -> None:
        """Read what is left; a FIFO with no writer left reads as EOF and is done."""
        for stream, fd in list(self.fifos.items()):
            while True:
                try:
                    chunk = os.read(fd, _CHUNK)
                except BlockingIOError:
                    break
                if not chunk:
                    selector.unregister(fd)
                    del self.fifos[stream]
                    break
                self.on_output(stream, chunk)

    def _check_stop(self) -> None:
        if self.killed or self.ended_at is not None:
            return
        if self.stop is None:
            if self.should_cancel():
                self.stop = "cancelled"
            elif self.deadline is not None and time.monotonic() >= self.deadline:
                self.stop = "timed out"
            else:
                return
            self.stop_asked_at = time.monotonic()
        # The session names the step's group as soon as it has forked it: wait for that,
        # or a step that has just left the session's group would survive it. The session's
        # group goes first: a step still launching is in it, and one that leaves it after
        # that kill is in its own group by the next.
        if self.pgid is None and time.monotonic() - self.stop_asked_at < _START_SECONDS:
            return
        self.killed = True
        kill_group(self.process.pid)
        if self.pgid is not None:
            kill_group(self.pgid)
        self.session_lost = self.session_gone = True

    def _outcome(self, *, escaped: bool) -> ProcessOutcome:
        if self.stop == "cancelled" and self.killed:
            return ProcessOutcome(exit_code=EXIT_CANCELLED, cancelled=True, escaped=escaped)
        if self.stop == "timed out" and self.killed:
            return ProcessOutcome(exit_code=EXIT_TIMED_OUT, timed_out=True, escaped=escaped)
        if self.status is not None:
            return ProcessOutcome(exit_code=self.status, escaped=escaped)
        # The session died before the step's shell was reported over.
        self.session_lost = True
        returncode = self.process.wait()
        code = 128 - returncode if returncode < 0 else returncode or 1
        how = f"status {returncode}"
        if returncode < 0:
            with contextlib.suppress(ValueError):
                how = f"signal {signal.Signals(-returncode).name}"
        self.on_output(
            StdStream.STDERR,
            f"the chain's shell session ended ({how}) before the step's shell did\n".encode(),
        )
        return ProcessOutcome(exit_code=code, escaped=escaped)
