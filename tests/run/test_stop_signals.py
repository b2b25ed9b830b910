"""
SIGTERM and SIGHUP stop `hm` as Ctrl-C does: with cleanup, and 143 or 129 as its status.

A service manager or CI job stops with SIGTERM, a closed terminal sends SIGHUP: either
must leave what the first Ctrl-C leaves, which is nothing (no step process, no run
directory, no container, no child interpreter importing pipeline files), and any second
signal forces the exit as a second Ctrl-C does.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios
import uuid
from typing import TYPE_CHECKING, Final

import pytest

from harmont.protocol import StepEnd
from tests.run.rig import (
    TIMEOUT_SECONDS,
    command,
    containers_of,
    live_commands,
    run_id_of,
    survivors,
    until,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project

#: Each stopping signal, and the status `hm` exits with after it.
STATUS: Final = {signal.SIGTERM: 143, signal.SIGHUP: 129, signal.SIGINT: 130}
_SIGNALS: Final = [
    pytest.param(signal.SIGTERM, id="SIGTERM"),
    pytest.param(signal.SIGHUP, id="SIGHUP"),
]


def _marker() -> str:
    """A number unique to this test, for `sleep` to carry: no other test's sleeps count."""
    return str(900_000_000 + uuid.uuid4().int % 100_000_000)


def _private_tmp(project: Project, tmp_path: Path) -> Path:
    """Point the run's temporary directories (the local runner's hm-local-*) at a new dir."""
    private = tmp_path / "tmp"
    private.mkdir()
    project.env["TMPDIR"] = str(private)
    return private


@pytest.mark.parametrize("signum", _SIGNALS)
def test_signal_during_a_build_cleans_up_as_ctrl_c(
    project: Project, tmp_path: Path, signum: signal.Signals
) -> None:
    """The step's processes die, its directory and container go, `hm` exits 128 + N."""
    marker = _marker()
    children = {f"sleep {marker}", f"sleep {marker}1"}
    project.pipeline(command("hang", f"sleep {marker} & sleep {marker}1; true"))
    private = _private_tmp(project, tmp_path)

    with (tmp_path / "stderr").open("w+") as stderr:
        process = project.start(stderr=stderr)
        until(lambda: children <= set(live_commands(marker)), "the step's two sleeps")
        process.send_signal(signum)
        stdout, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    said = (tmp_path / "stderr").read_text()

    assert STATUS[signum] == process.returncode, said
    assert f"cancelling on {signum.name}… (a second signal forces exit)" in said
    assert [] == survivors(marker)
    assert [] == list(private.iterdir())
    if project.runner == "docker":
        assert [] == containers_of(run_id_of(stdout))


def test_a_local_step_that_signals_its_parent_cancels_the_build(
    local_project: Project, tmp_path: Path
) -> None:
    """A local step's parent is `hm`: its SIGTERM stops the build as any SIGTERM to `hm`."""
    marker = _marker()
    local_project.pipeline(command("signaller", f"echo hi; kill $PPID; sleep {marker}"))
    private = _private_tmp(local_project, tmp_path)

    build = local_project.hm()

    assert STATUS[signal.SIGTERM] == build.returncode, build.stderr
    assert "cancelling on SIGTERM" in build.stderr
    assert [130] == [end.exit_code for end in build.of(StepEnd)]
    assert [] == survivors(marker)
    assert [] == list(private.iterdir())


@pytest.mark.parametrize("signum", _SIGNALS)
@pytest.mark.parametrize("second", _SIGNALS)
def test_second_signal_forces_exit(
    local_project: Project, tmp_path: Path, signum: signal.Signals, second: signal.Signals
) -> None:
    """A step that ignores the cancel: any second signal exits at once, no survivor."""
    marker = _marker()
    # The step's shell ignores SIGTERM, and holds the build while its sleep runs.
    local_project.pipeline(command("stuck", f"trap '' TERM HUP INT; sleep {marker}; sleep 1"))

    with (tmp_path / "stderr").open("w+") as stderr:
        process = local_project.start(stderr=stderr)
        until(lambda: bool(live_commands(f"sleep {marker}")), "the step's sleep")
        process.send_signal(signum)
        until(lambda: "cancelling on" in (tmp_path / "stderr").read_text(), "the first signal")
        process.send_signal(second)
        process.communicate(timeout=TIMEOUT_SECONDS)

    assert STATUS[signum] == process.returncode
    assert [] == survivors(marker)


@pytest.mark.parametrize("signum", _SIGNALS)
@pytest.mark.parametrize("verb", ["run", "pipelines"])
def test_signal_while_importing_pipeline_files_kills_the_interpreter(
    local_project: Project, tmp_path: Path, signum: signal.Signals, verb: str
) -> None:
    """A pipeline file that spins at import: its interpreter is killed, `hm` exits 128 + N."""
    importing = tmp_path / "importing"
    (local_project.root / ".harmont").mkdir()
    (local_project.root / ".harmont" / "spin.py").write_text(
        f"import pathlib\npathlib.Path({str(importing)!r}).touch()\nwhile True:\n    pass\n"
    )
    argv = [sys.executable, "-m", "harmont_cli", verb]
    if verb == "run":
        argv += ["--runner", "local"]
    process = subprocess.Popen(
        argv,
        cwd=local_project.root,
        env=local_project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    until(importing.exists, "the pipeline file to start importing")

    process.send_signal(signum)
    _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)

    assert STATUS[signum] == process.returncode, stderr
    assert "Traceback" not in stderr
    assert [] == survivors(str(local_project.root / ".harmont" / "spin.py"))


def _take_terminal() -> None:
    """In the child: make the terminal on stdin its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_closed_terminal_cleans_up_and_exits_129(local_project: Project, tmp_path: Path) -> None:
    """The terminal `hm run` draws its progress on goes away: SIGHUP, cleanup, exit 129."""
    marker = _marker()
    local_project.pipeline(command("hang", f"sleep {marker}"))
    private = _private_tmp(local_project, tmp_path)
    argv = [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "local"]
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        argv,
        cwd=local_project.root,
        env=local_project.env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,  # its own session, whose controlling terminal is ours
        preexec_fn=_take_terminal,  # noqa: PLW1509 - only an ioctl, before exec
    )
    os.close(terminal)
    with os.fdopen(controller, "rb", buffering=0) as screen:
        # Read what it draws (a full pty would block it) until the step runs.
        os.set_blocking(controller, False)
        until(
            lambda: bool(screen.read(65536) or True) and bool(live_commands(f"sleep {marker}")),
            "the step's sleep",
        )
    # Closing the last descriptor of the controlling side hangs the terminal up.
    returncode = process.wait(TIMEOUT_SECONDS)

    assert 129 == returncode
    assert [] == survivors(marker)
    assert [] == list(private.iterdir())
