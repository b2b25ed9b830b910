"""`hm cache clean` removes inside the local snapshot store only: no symlink leads it out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.run.rig import Build, Project


@pytest.fixture
def project(local_project: Project, tmp_path: Path) -> Project:
    """The local-runner project, with no Docker engine to reach."""
    local_project.env["DOCKER_HOST"] = f"unix://{tmp_path / 'no-engine.sock'}"
    return local_project


def _store(project: Project) -> Path:
    return Path(project.env["XDG_CACHE_HOME"]) / "harmont" / "local"


def _clean(project: Project) -> Build:
    return project.hm("cache", "clean", raw=True)


def _precious(tmp_path: Path, relative: str) -> Path:
    """A file outside the store, laid out like a snapshot under *relative*."""
    path = tmp_path / "outside" / relative / "precious.txt"
    path.parent.mkdir(parents=True)
    path.write_text("keep me")
    return path


def _engine_warning(build: Build) -> list[str]:
    return [line for line in build.stderr.splitlines() if "Docker" not in line]


@pytest.mark.parametrize("level", ["repository", "name"])
def test_symlinked_level_is_not_followed(project: Project, tmp_path: Path, level: str) -> None:
    """A symlink in place of a repository or name directory is neither listed nor entered."""
    store = _store(project)
    if level == "repository":
        precious = _precious(tmp_path, "build/0123")
        store.mkdir(parents=True)
        (store / "harmont-local").symlink_to(tmp_path / "outside")
    else:
        precious = _precious(tmp_path, "0123")
        (store / "harmont-local").mkdir(parents=True)
        (store / "harmont-local" / "build").symlink_to(tmp_path / "outside")

    cleaned = _clean(project)

    assert (0, "nothing to remove\n", []) == (
        cleaned.returncode,
        cleaned.stdout,
        _engine_warning(cleaned),
    )
    assert "keep me" == precious.read_text()


def test_snapshot_holding_a_symlink_loses_the_link_only(project: Project, tmp_path: Path) -> None:
    """Inside a snapshot, a symlink to a directory elsewhere is removed, not what it names."""
    precious = _precious(tmp_path, "data")
    snapshot = _store(project) / "harmont-local" / "build" / "0123"
    snapshot.mkdir(parents=True)
    (snapshot / "data").symlink_to(precious.parent, target_is_directory=True)

    cleaned = _clean(project)

    assert (0, f"removed snapshot {snapshot} (cache)\n") == (cleaned.returncode, cleaned.stdout)
    assert ("keep me", []) == (precious.read_text(), list(_store(project).iterdir()))


def test_store_that_is_a_symlink_is_refused(project: Project, tmp_path: Path) -> None:
    """A store that is itself a symlink is left alone, with one warning saying why."""
    precious = _precious(tmp_path, "harmont-local/build/0123")
    store = _store(project)
    store.parent.mkdir(parents=True)
    store.symlink_to(tmp_path / "outside")

    cleaned = _clean(project)

    assert (0, "nothing to remove\n") == (cleaned.returncode, cleaned.stdout)
    assert [
        f"warning: local snapshots not cleaned: {store} is a symbolic link "
        f"(to {tmp_path / 'outside'}); remove the link"
    ] == _engine_warning(cleaned)
    assert "keep me" == precious.read_text()
