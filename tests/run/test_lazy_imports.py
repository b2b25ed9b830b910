"""What `hm --help` must not import: the run-time halves of the built-in executors."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: Modules only a build needs: source packing, the codecs, the renderers' and engine's libraries.
_RUN_TIME_ONLY = (
    "cattrs",
    "docker",
    "harmont._orchestrator._run",
    "harmont._orchestrator._scheduler",
    "harmont._orchestrator._source",
    "harmont.protocol._borsh",
    "harmont._orchestrator._gitignore",
    "rich",
)


def test_help_loads_the_built_in_executors_but_nothing_a_build_needs(tmp_path: Path) -> None:
    """
    The local and docker plugins are imported for their manifests, and that is all (on a
    first `hm --help`; the next ones answer from the capability index, importing neither).
    """
    code = (
        "import contextlib, io, sys; from harmont_cli.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "loaded = ('harmont._executors.local', 'harmont._executors.docker')\n"
        f"print([m in sys.modules for m in loaded], [m for m in {_RUN_TIME_ONLY!r} "
        "if m in sys.modules])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HM_")}
    env["HM_NO_PLUGIN_AUTOLOAD"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp_path)  # an empty capability index

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout

    assert "[True, True] []\n" == out


def test_planning_does_not_import_the_dsl() -> None:
    """The planner takes the baseline step env from a leaf module, not from the DSL."""
    code = "import sys, harmont._ir._plan; print(sorted(m for m in sys.modules if '_dsl' in m))"

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert "[]\n" == out


def test_a_local_build_does_not_import_the_docker_library(tmp_path: Path) -> None:
    """The docker plugin's build_end cleanup of a run that never used it loads no docker-py."""
    pipeline = {"version": "0", "steps": [{"type": "command", "key": "a", "cmd": "true"}]}
    code = (
        "import sys, harmont\n"
        f"result = harmont.run({pipeline!r}, directory={str(tmp_path)!r}, runner='local')\n"
        "print(result.exit_code, 'docker' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HM_")}
    env["HM_NO_PLUGIN_AUTOLOAD"] = "1"
    env["XDG_CACHE_HOME"] = str(tmp_path)  # an empty capability index

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout

    assert "0 False\n" == out
