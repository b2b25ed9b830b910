"""Fixtures of the native-plugin tests; ``native`` itself is in tests/native_support.py."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont._plugins._host import Host
from harmont.protocol import KvScope
from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    """A host whose plugin state lives in a temp dir and whose project is tmp_path."""
    project = tmp_path / "project"
    (project / ".harmont").mkdir(parents=True)
    with Host(project_root=project, state_dir=tmp_path / "state") as made:
        yield made


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with a private home, run on the local runner."""
    (tmp_path / "project").mkdir()
    (tmp_path / "home").mkdir()
    return Project(root=tmp_path / "project", runner="local", env=hm_environment(tmp_path / "home"))


def plugins_dir(project: Project) -> Path:
    """Where `hm plugin install` puts native libraries for *project*'s user."""
    return Path(project.env["HOME"]) / ".harmont" / "plugins"


def plugin_kv(project: Project, plugin: str, key: str) -> bytes | None:
    """*plugin*'s plugin-scope value of *key*, read from the store `hm` wrote."""
    state = Path(project.env["XDG_STATE_HOME"]) / "harmont"
    with Host(project_root=project.root, state_dir=state) as host:
        return host.context(plugin).kv_get(KvScope.PLUGIN, key)
