"""The second Ctrl-C: exit 130 at once, and no step process survives, whatever is stuck."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from harmont._orchestrator._signals import FIRST_PRESS
from tests.run.rig import TIMEOUT_SECONDS, live_commands, survivors, until

#: The script: a step whose first-press cancel never lands (its cancel callback says no),
#: running under the CLI's Ctrl-C handling, and an exit handler that hangs as the docker
#: runner's orderly cleanup may (it waits up to 30 s for the engine).
_STUCK = textwrap.dedent(
    """
    import atexit, sys, threading, pathlib, time
    atexit.register(time.sleep, 30)
    from harmont._executors._process import run_shell
    from harmont._orchestrator._signals import signals_cancel

    def say(message):
        sys.stderr.write(message + "\\n")
        sys.stderr.flush()

    with signals_cancel(threading.Event(), say):
        run_shell(
            "sleep {marker} & sleep {marker}1",
            sh="/bin/sh",
            cwd=pathlib.Path("."),
            env={{"PATH": "/usr/bin:/bin"}},
            on_output=lambda stream, data: None,
            should_cancel=lambda: False,
        )
    """
)


def test_second_press_exits_130_quickly_and_kills_the_step() -> None:
    """Two SIGINTs while a step ignores cancellation: exit 130 within 3 s, no survivor."""
    marker = "87654"
    children = {f"sleep {marker}", f"sleep {marker}1"}
    process = subprocess.Popen(
        [sys.executable, "-c", _STUCK.format(marker=marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    until(lambda: children <= set(live_commands(marker)), "the step's two sleeps")

    process.send_signal(signal.SIGINT)
    assert FIRST_PRESS == process.stderr.readline().strip()
    pressed = time.monotonic()
    process.send_signal(signal.SIGINT)
    returncode = process.wait(TIMEOUT_SECONDS)
    took = time.monotonic() - pressed
    process.stderr.close()

    assert (130, True) == (returncode, took < 3), f"exited {returncode} after {took:.1f}s"
    assert [] == survivors(marker)
