"""
A real terminal for the tests of what `hm` does on one: `hm` runs on the slave side of a
pty, as its controlling terminal, and the test types on the master side and reads the
screen's bytes back.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import termios
import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["Terminal"]

#: How long any one expectation may take: a build, a container start, a shell prompt.
EXPECT_SECONDS: Final = 60.0


class Terminal:
    """*argv* running on a fresh pty in *cwd* with exactly *env*."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its stdin, stdout, stderr and terminal
            try:
                os.chdir(cwd)
                os.execve(argv[0], list(argv), dict(env))
            finally:
                os._exit(127)
        self.pid = pid
        self._fd = fd
        self._screen = b""
        self.status: int | None = None

    @property
    def screen(self) -> str:
        """Everything the program wrote so far (and the terminal echoed), decoded."""
        return self._screen.decode("utf-8", "replace")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._fd, 65536)
        except OSError:  # EIO: every process holding the slave has gone
            return False
        self._screen += data
        return bool(data)

    def expect(self, text: str, *, after: int = 0) -> int:
        """
        Wait until *text* shows at or after offset *after* of the screen; return the
        offset just past it. Fails the test after :data:`EXPECT_SECONDS`.
        """
        deadline = time.monotonic() + EXPECT_SECONDS
        while (found := self._screen.find(text.encode(), after)) < 0:
            if time.monotonic() > deadline or not self._read(0.1):
                raise AssertionError(f"{text!r} never showed; the screen:\n{self.screen}")
        return found + len(text.encode())

    def type(self, text: str) -> None:
        """Type *text* (``\\x03`` is Ctrl-C)."""
        os.write(self._fd, text.encode())

    def wait(self) -> int:
        """Read to the end and return the program's exit status; fail after a bound."""
        deadline = time.monotonic() + EXPECT_SECONDS
        while self.status is None:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"still running after {EXPECT_SECONDS}s:\n{self.screen}")
            self._read(0.1)
        while self._read(0.1):
            pass
        return self.status

    def echoes_lines(self) -> bool:
        """Whether the terminal is in its usual mode: canonical input, echo on."""
        lflag = termios.tcgetattr(self._fd)[3]
        return bool(lflag & termios.ICANON and lflag & termios.ECHO)

    def close(self) -> None:
        """Kill the program if the test left it running; release the terminal."""
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait()
        os.close(self._fd)
