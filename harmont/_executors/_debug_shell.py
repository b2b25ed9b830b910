"""
An interactive shell on the user's terminal, for ``hm debug`` and ``hm run -i``.

The program runs in a process group of its own, made the terminal's foreground group for
as long as it runs, as a job-control shell runs a job: Ctrl-C, Ctrl-Z and Ctrl-\\ typed in
it reach it alone, never `hm` (whose own Ctrl-C handling would cancel the build). When it
exits (or is killed), `hm` takes the terminal back. Both runners use it: ``local`` runs
the shell in the chain's directory, ``docker`` runs ``docker exec -it`` (the CLI owns raw
mode, window size and the stream protocol, which makes it the robust choice over
re-implementing them on the API socket).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import termios
from typing import TYPE_CHECKING, Final

from harmont._errors import PluginRuntimeError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

__all__ = ["attach", "docker_cli", "shell_script"]

#: Runs ``$1`` (the step's command) first when ``$3`` is ``run``, then the shell ``$2``.
#: The shell is split into words, so ``--shell "bash --norc"`` works.
_SCRIPT: Final = (
    'if [ "$3" = run ]; then sh -c "$1"; '
    'printf "hm: the step\'s command exited with %s\\n" "$?" >&2; fi; exec $2'
)


def shell_script(cmd: str, program: str, *, run_command: bool) -> list[str]:
    """The argv that opens *program*, after running *cmd* first when *run_command*."""
    return ["sh", "-c", _SCRIPT, "sh", cmd, program, "run" if run_command else "open"]


def docker_cli() -> str:
    """
    The path of the ``docker`` CLI, which attaches a terminal to an exec.

    :raises PluginRuntimeError: no ``docker`` on ``PATH``.
    """
    found = shutil.which("docker")
    if found is None:
        raise PluginRuntimeError(
            "docker: a shell in a container needs the docker CLI, and none is on PATH",
            plugin="docker",
            code="docker_cli_missing",
            hint="install the docker CLI (docker-ce-cli), or debug on --runner local",
        )
    return found


def _take_terminal(fd: int) -> None:
    """In the child, before exec: lead a new process group and own the terminal *fd*."""
    os.setpgid(0, 0)
    # A background group that sets the foreground group gets SIGTTOU unless it blocks it;
    # the child inherits the parent thread's mask, so it is restored before the exec.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
    with contextlib.suppress(OSError):
        os.tcsetpgrp(fd, os.getpgrp())
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked - {signal.SIGTTOU})


def attach(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> int:
    """
    Run *argv* on this process's terminal (its stdin) until it exits; return its status.

    Callable from any thread: SIGTTOU, which a background group gets for taking the
    terminal back, is blocked for this thread alone rather than ignored process-wide.

    :returns: the exit status, ``128 + N`` for a program killed by signal N.
    :raises OSError: the program cannot be started.
    """
    fd = sys.stdin.fileno()
    ours = os.getpgrp()
    # A program killed in raw mode (the docker CLI, a readline shell) leaves the terminal
    # that way: its settings are put back whatever happens.
    settings = termios.tcgetattr(fd)
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        preexec_fn=lambda: _take_terminal(fd),  # noqa: PLW1509 - the terminal must be the child's before it reads
    )
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
    try:
        # Both sides set it, so whichever runs first, the child never reads as a
        # background job (and is stopped by SIGTTIN).
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, process.pid)
        return _wait(process)
    finally:
        if process.returncode is None:  # this thread is leaving early: so does the shell
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, ours)
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, settings)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _wait(process: subprocess.Popen[bytes]) -> int:
    while True:
        try:
            code = process.wait()
        except KeyboardInterrupt:  # a Ctrl-C aimed at hm before the child owned the terminal
            continue
        return 128 - code if code < 0 else code
