"""Every module imports cleanly with warnings as errors, and `hm --version` stays cheap."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import warnings

import pytest

import harmont
import harmont_cli
import harmont_sdk


def _modules() -> list[str]:
    names = []
    for package in (harmont, harmont_sdk, harmont_cli):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_module_imports_without_warnings(name: str) -> None:
    """Importing any module of the three packages raises no warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.import_module(name)


def test_version_flag_imports_no_heavy_module() -> None:
    """`hm --version` answers without importing typer, rich, docker or any plugin."""
    code = (
        "import sys; from harmont_cli.__main__ import main; main(['--version']); "
        "print(sorted(m for m in ('typer', 'rich', 'docker', 'pluggy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert out.splitlines() == [f"hm {harmont.__version__}", "[]"]
