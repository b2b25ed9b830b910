"""A run that skips a component says so at its end, in the README test command's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_skipped_components_are_named_at_the_end(tmp_path: Path) -> None:
    """Each distinct skip reason is listed once, with its count, after the summary."""
    (tmp_path / "test_parts.py").write_text(
        "import pytest\n"
        "def test_a(): pytest.skip('no reachable Docker engine')\n"
        "def test_b(): pytest.skip('no reachable Docker engine')\n"
        "def test_c(): pytest.skip('cargo is not installed on this machine')\n"
        "def test_d(): pass\n"
    )

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "skip_summary", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )  # fmt: skip
    section = done.stdout.split("skipped components", 1)[-1].splitlines()[1:4]

    assert 0 == done.returncode, done.stdout
    assert [
        "2 tests: no reachable Docker engine",
        "1 test: cargo is not installed on this machine",
        "see README.md, Set up: what the tests need",
    ] == section
