"""
Fixtures of the DSL compatibility suite: a throwaway venv holding the reference DSL
(``harmont==0.0.9`` from PyPI), and each program's outcome under it and under ours.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = "harmont==0.0.9"
HERE = Path(__file__).parent
PROGRAMS = HERE / "programs"
WORKSPACE = HERE / "workspace"
RUNNER = HERE / "render_program.py"
REPO = HERE.parent.parent


def _cache_root() -> Path:
    configured = os.environ.get("HARMONT_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "harmont-tests"


def _is_reference(python: Path) -> bool:
    """Whether ``python`` runs and imports exactly the reference release."""
    check = "import importlib.metadata as m, harmont; assert m.version('harmont') == '0.0.9'"
    if not python.exists():
        return False
    return (
        subprocess.run([python, "-I", "-c", check], capture_output=True, check=False).returncode
        == 0
    )


def _build(venv: Path) -> None:
    for command in (
        [sys.executable, "-m", "venv", "--clear", venv],
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            REFERENCE,
        ],
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(f"building the reference venv failed: {command}\n{result.stderr}")


@pytest.fixture(scope="session")
def reference_python() -> Path:
    """The interpreter of a venv with the reference DSL, built once and cached between runs."""
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / "harmont-0.0.9-venv"
    python = venv / "bin" / "python"
    # One builder at a time: xdist workers and concurrent runs wait here for the first.
    with (root / "harmont-0.0.9-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_reference(python):
            shutil.rmtree(venv, ignore_errors=True)
            _build(venv)
            assert _is_reference(python), f"{venv} does not import {REFERENCE} after a rebuild"
    return python


def program_paths() -> list[Path]:
    return sorted(PROGRAMS.glob("*.py"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run tests that take a ``program`` once per program file, named after it."""
    if "program" in metafunc.fixturenames:
        paths = program_paths()
        metafunc.parametrize("program", paths, ids=[path.stem for path in paths])


def _outcomes(python: Path, *prefix: str) -> dict[str, str]:
    command = [python, "-I", RUNNER, *prefix, WORKSPACE, *program_paths()]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    outcomes: dict[str, str] = json.loads(result.stdout)
    return outcomes


@pytest.fixture(scope="session")
def reference_outcomes(reference_python: Path) -> dict[str, str]:
    """What each program renders to (or raises) under harmont 0.0.9."""
    return _outcomes(reference_python)


@pytest.fixture(scope="session")
def our_outcomes() -> dict[str, str]:
    """What each program renders to (or raises) under this repository's harmont."""
    return _outcomes(Path(sys.executable), "--sys-path", str(REPO))
