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
