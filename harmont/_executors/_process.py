"""
Steps as process groups on this machine: outcomes, the group registry, one-shot runs.

Every step the local runner starts leads a process group of its own (its chain's shell
session starts it through :func:`group_launcher`, see :mod:`._local_session`), and the
group is the unit that is killed: on timeout, on cancellation, and once the step's shell
has exited, so a step that leaves a child behind does not outlive it. Groups in flight are
registered here and killed at interpreter exit and on a forced exit, so that no step
outlives `hm`.

:func:`run_shell` runs one command the same way in a session of its own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from harmont._executors._shell_session import quote
from harmont._orchestrator._cleanup import on_forced_exit
from harmont._orchestrator._result import EXIT_CANCELLED, EXIT_TIMED_OUT

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from harmont.protocol import StdStream

__all__ = [
    "EXIT_CANCELLED",
    "EXIT_TIMED_OUT",
    "POLL_SECONDS",
    "ProcessOutcome",
    "group_launcher",
    "kill_group",
    "run_shell",
    "track_group",
    "untrack_group",
]


#: How often a wait wakes to poll cancellation and the deadline while nothing is printed.
POLL_SECONDS: Final = 0.05


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


#: Process groups of steps and sessions still running, killed at interpreter exit and on a
#: forced exit (:mod:`harmont._orchestrator._cleanup`) so that no step outlives `hm`.
_LIVE_GROUPS: set[int] = set()
_LIVE_LOCK: Final = threading.Lock()


def kill_group(pgid: int) -> None:
    """SIGKILL every process of group *pgid*; a group that is already gone is fine."""
    # ProcessLookupError: gone already; PermissionError: only zombies remain (some kernels).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def track_group(pgid: int) -> None:
    """Register group *pgid* to be killed if `hm` exits while it runs."""
    with _LIVE_LOCK:
        _LIVE_GROUPS.add(pgid)


def untrack_group(pgid: int) -> None:
    """Forget group *pgid* (killed or over)."""
    with _LIVE_LOCK:
        _LIVE_GROUPS.discard(pgid)


@on_forced_exit
@atexit.register
def _kill_live_groups() -> None:
    with _LIVE_LOCK:
        groups = list(_LIVE_GROUPS)
    for pgid in groups:
        kill_group(pgid)


#: What the Python launcher runs: restore ``LC_CTYPE`` as the step set it (Python coerces a
#: C locale by exporting ``LC_CTYPE=C.UTF-8``, which the step must not inherit), leave the
#: session, then ``exec`` the rest of its argv.
_PYTHON_SETSID: Final = (
    "import os,sys\n"
    "if sys.argv[1]:os.environ['LC_CTYPE']=sys.argv[2]\n"
    "else:os.environ.pop('LC_CTYPE',None)\n"
    "os.setsid()\n"
    "os.execvp(sys.argv[3],sys.argv[3:])"
)


def group_launcher() -> bytes:
    """
    The ``sh`` words put before a step's ``sh -c``, which make it a process group (and a
    session) of its own.

    POSIX ``sh`` has no way to start a process group but job control, and dash and busybox
    ash refuse ``set -m`` without a terminal, so a command does it. ``setsid`` (util-linux,
    busybox) when it is on ``PATH``: it costs a step a few milliseconds. Otherwise (macOS,
    minimal systems) the Python interpreter running `hm`, which is always there but costs
    a step an interpreter start (about six times the CPU of ``setsid``).

    :raises FileNotFoundError: neither is available (an embedded Python with no executable).
    """
    setsid = shutil.which("setsid")
    if setsid is not None:
        return quote(setsid)
    if not sys.executable:
        raise FileNotFoundError(2, "no setsid command on PATH and no Python executable", "setsid")
    # The step's own LC_CTYPE (set or unset) travels in argv, expanded by the step's subshell.
    python = [quote(sys.executable), b"-I", b"-S", b"-c", quote(_PYTHON_SETSID)]
    return b" ".join([*python, b'"${LC_CTYPE+set}"', b'"${LC_CTYPE-}"'])


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
    Run ``sh -c cmd`` in *cwd* with exactly *env*, as a step of a session of its own.

    :param on_output: receives raw chunks as they arrive (not split into lines), on the
        calling thread.
    :param should_cancel: polled at least every :data:`POLL_SECONDS`; once it returns
        True the whole group is killed and the outcome is :data:`EXIT_CANCELLED`.
    :param timeout_seconds: wall-clock limit; when reached the whole group is killed and
        the outcome is :data:`EXIT_TIMED_OUT`.
    :raises OSError: ``sh`` could not be found or started.
    """
    from harmont._executors._local_session import LocalSession
    from harmont._executors._shell_session import StepScript

    fifos = Path(tempfile.mkdtemp(prefix="hm-step-"))
    session = LocalSession(cwd, env, fifos=fifos, launcher=group_launcher())
    try:
        return session.run(
            StepScript(cmd=cmd, env={}),
            on_output=on_output,
            should_cancel=should_cancel,
            timeout_seconds=timeout_seconds,
        )
    finally:
        session.close()
        shutil.rmtree(fifos, ignore_errors=True)
