"""The root options of `hm`: --version wherever it stands, and what --help lists."""

from __future__ import annotations

import subprocess
import sys

import harmont


def _hm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version_after_other_global_options() -> None:
    """`hm -p no:docker --version` prints the version, like a lone `hm --version`."""
    done = _hm("-p", "no:docker", "--version")

    assert (0, f"hm {harmont.__version__}\n") == (done.returncode, done.stdout)


def test_help_lists_the_global_options() -> None:
    """`hm --help` documents -p and --version."""
    out = _hm("--help").stdout

    assert "-p no:NAME" in out
    assert "--version" in out


def test_a_late_ctrl_c_does_not_change_the_exit_status() -> None:
    """A Ctrl-C that arrives after `hm` decided its exit code (while it exits) is ignored."""
    code = (
        "import atexit, os, signal, time\n"
        "import harmont_cli.__main__ as cli\n"
        "cli.main = lambda: 130\n"
        "def late_press():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.2)\n"
        "    print('survived')\n"
        "atexit.register(late_press)\n"
        "cli.console_main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert (130, "survived\n", "") == (done.returncode, done.stdout, done.stderr)
