"""
The hostile plugins of the fault-injection suite, installed for a real `hm` subprocess.

The Python plugin is an installed distribution on a private ``PYTHONPATH``; the native one
is built here with cc, its payloads generated from harmont's own borsh codec, and found
through ``HM_PLUGIN_PATH``. Each reads ``HM_FAULT`` to choose how to misbehave.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

from harmont.protocol import PluginError, StepResult, to_borsh
from harmont_sdk import executor, manifest
from tests.components import unavailable
from tests.run.rig import Project, hm_environment

_HERE: Final = Path(__file__).parent
_INCLUDE: Final = _HERE.parents[1] / "harmont_sdk" / "native" / "include"


def _array(name: str, data: bytes) -> str:
    return f"static const uint8_t {name}[] = {{{', '.join(str(b) for b in data)}}};\n"


@pytest.fixture(scope="session")
def native_plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``hostile-c.so``, built from ``hostile.c`` with cc."""
    compiler = os.environ.get("CC", "cc")
    if shutil.which(compiler) is None:
        unavailable(f"no C compiler ({compiler}) to build the hostile native plugin", tests="fault")
    build = tmp_path_factory.mktemp("hostile-c")
    payloads = (
        _array("MANIFEST", to_borsh(manifest("hostile-c", "1.0.0", executor("hostile-c"))))
        + _array("PASSED", to_borsh(StepResult(exit_code=0)))
        + _array(
            "REFUSAL",
            to_borsh(PluginError(code="hostile", message="hostile plugin refused on purpose")),
        )
    )
    (build / "hostile_payloads.h").write_text(payloads)
    library = build / "plugins" / "hostile-c.so"
    library.parent.mkdir()
    flags = ["-shared", "-fPIC", "-O1", "-I", str(_INCLUDE), "-I", str(build)]
    subprocess.run([compiler, *flags, "-o", str(library), str(_HERE / "hostile.c")], check=True)
    return library.parent


@pytest.fixture(scope="session")
def python_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory where ``hostile-py`` is an installed distribution."""
    site = tmp_path_factory.mktemp("hostile-py")
    shutil.copy(_HERE / "hostile_plugin.py", site / "hm_hostile_plugin.py")
    dist_info = site / "hostile_py-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: hostile-py\nVersion: 1.0.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[harmont.plugins]\nhostile-py = hm_hostile_plugin:plugin\n"
    )
    return site


@pytest.fixture(params=("local", pytest.param("docker", marks=pytest.mark.docker)))
def project(tmp_path: Path, request: pytest.FixtureRequest) -> Project:
    """An empty project with a private home, once per runner; docker gets its test image."""
    runner = str(request.param)
    image = request.getfixturevalue("docker_engine") if runner == "docker" else None
    root, home = tmp_path / "project", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    return Project(root=root, runner=runner, env=hm_environment(home), image=image)
