"""
`hm` on a real terminal: a pseudo-terminal of a given width, and everything drawn on it.

What `hm run` draws depends on whether stderr is a terminal and how wide it is, so the
tests of that output run it where it sees one, not on a pipe.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: A bound for one `hm` on a terminal: a hung build fails its test instead of the suite.
TIMEOUT_SECONDS: Final = 60


@attrs.frozen
class Screen:
    """What one `hm` wrote to its terminal, escape sequences included, and its exit code."""

    returncode: int
    raw: str


def on_terminal(
    args: list[str], *, cwd: Path, env: Mapping[str, str], columns: int = 100
) -> Screen:
    """Run ``hm ARGS`` with stdin, stdout and stderr on a terminal *columns* wide."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "harmont_cli", *args],
        cwd=cwd,
        env={**env, "COLUMNS": str(columns), "TERM": "xterm-256color"},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        else:
            process.kill()
            raise AssertionError(f"hm {' '.join(args)} did not end within {TIMEOUT_SECONDS}s")
    finally:
        os.close(leader)
    return Screen(process.wait(TIMEOUT_SECONDS), b"".join(chunks).decode("utf-8", "replace"))
