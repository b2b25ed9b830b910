"""Fixtures of the command tests that run `hm` on a throwaway project."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """An empty local-runner project with a private home, cache and plugin state."""
    root = tmp_path / "project"
    root.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    return Project(root=root, runner="local", env=hm_environment(home))
