"""What `hm` imports to start: `--version` and a cached `--help` skip typer, typing and plugins."""

from __future__ import annotations

import ast
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.cli.test_capability_index import Site
from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project

#: Runs `hm` in-process with the given arguments, then lists the modules it imported.
_PROBE = """
import sys
from harmont_cli.__main__ import main
code = main(sys.argv[1:])
sys.stdout.write("\\n" + repr([code, sorted(sys.modules)]) + "\\n")
"""

#: Heavy or plugin-loading modules a lean start never needs.
_HEAVY = ("typer", "typing", "enum", "attr", "rich", "docker", "harmont._plugins._manager")


def _modules(project: Project, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    code, modules = ast.literal_eval(done.stdout.splitlines()[-1])
    assert 0 == code, done.stderr
    return list(modules)


def _heavy(modules: list[str], *, allowed: tuple[str, ...] = ()) -> list[str]:
    heavy = [m for m in modules if m in _HEAVY or m.startswith(("typer.", "attr.", "rich."))]
    return [m for m in heavy if m not in allowed]


def test_version_imports_nothing_heavy(project: Project) -> None:
    """`hm --version` imports neither typer nor typing, enum, attrs or the registry."""
    assert [] == _heavy(_modules(project, "--version"))


def test_a_cached_help_imports_nothing_heavy(project: Project, tmp_path: Path) -> None:
    """Once the index holds it, `hm --help` imports no plugin, no typer, no registry."""
    # json's decoder imports re, hence enum (as the `hm` console script's own `import re`).
    site = Site(project, tmp_path)
    site.install("alpha")
    _modules(project, "--help")
    cached = _modules(project, "--help")

    assert ([], ["alpha"]) == (_heavy(cached, allowed=("enum",)), site.imported())


def test_a_local_json_build_imports_neither_rich_nor_docker(project: Project) -> None:
    """`hm run --runner local --format json` needs no terminal renderer and no engine client."""
    project.pipeline(command("hello", "echo hi"))

    modules = _modules(project, *project.argv()[3:])

    assert [] == [m for m in modules if m.split(".")[0] in ("rich", "docker")]
