"""Fixtures of the docker executor tests: every test here talks to a real engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from docker_rig import Rig

from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from docker import APIClient


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``docker`` every test that talks to the engine."""
    for item in items:
        if "docker_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.docker)


@pytest.fixture
def project(tmp_path: Path, docker_engine: str) -> Project:
    """An empty project on the docker runner, its steps in the test image."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "src.txt").write_text("source\n")
    return Project(
        root=root, runner="docker", env=hm_environment(tmp_path / "home"), image=docker_engine
    )


@pytest.fixture
def rig(tmp_path: Path, hm_home: Path, docker_api: APIClient, docker_engine: str) -> Iterator[Rig]:
    """A fresh run over ``tmp_path/src`` (one file, hello.txt), ended after the test."""
    from harmont import Host, load_registry
    from harmont._orchestrator._archive import ArchiveStore

    source = tmp_path / "src"
    source.mkdir()
    (source / "hello.txt").write_text("hello\n")
    rig = Rig(docker_api, docker_engine, source)
    with (
        Host(
            project_root=source,
            state_dir=hm_home / "state",
            emit=rig.emit,
            archives=ArchiveStore(),
            cancel=rig.cancel,
        ) as host,
        load_registry(autoload=False, host=host) as registry,
    ):
        rig.registry = registry
        try:
            yield rig
        finally:
            rig.end()
