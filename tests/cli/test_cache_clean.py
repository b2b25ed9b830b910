"""`hm cache clean` and the local runner's snapshot store, with no Docker engine to reach."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont._executors._cache_clean import (
    CleanReport,
    Removal,
    clean_snapshot_store,
)
from harmont.protocol import StepCacheHit
from tests.run.rig import Build, Project, command

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def project(project: Project, tmp_path: Path) -> Project:
    """The local-runner project, with no Docker engine to reach."""
    # `hm cache clean` must say so and still clean the local store.
    project.env["DOCKER_HOST"] = f"unix://{tmp_path / 'no-engine.sock'}"
    return project


def _store(project: Project) -> Path:
    return Path(project.env["XDG_CACHE_HOME"]) / "harmont" / "local"


def _clean(project: Project, *args: str) -> Build:
    return project.hm("cache", "clean", *args, raw=True)


def _snapshot(store: Path, relative: str) -> Path:
    path = store / relative
    path.mkdir(parents=True)
    (path / "artifact.txt").write_text("built")
    return path


class TestCommand:
    def test_real_snapshot_is_removed_and_the_next_run_misses(self, project: Project) -> None:
        """A snapshot `hm run` stored is listed, removed, and the next run builds again."""
        project.pipeline(
            command(
                "build", "echo built > artifact.txt", cache={"policy": "forever", "key": "k" * 64}
            )
        )
        assert 0 == project.hm().returncode
        snapshot = _store(project) / "harmont-local" / "build" / ("k" * 16)

        cleaned = _clean(project)
        left = list(_store(project).iterdir())
        after = project.hm()

        assert (0, f"removed snapshot {snapshot} (cache)\n", []) == (
            cleaned.returncode,
            cleaned.stdout,
            left,
        )
        assert ([], True) == (after.of(StepCacheHit), snapshot.is_dir())

    def test_unreachable_engine_is_one_warning_and_exit_0(self, project: Project) -> None:
        """Without an engine, one line says so; the local store is still cleaned."""
        _snapshot(_store(project), "harmont-local/build/0123")

        cleaned = _clean(project)

        assert 0 == cleaned.returncode
        assert [
            "warning: Docker images and containers not cleaned: cannot reach the Docker engine "
            f"at {project.env['DOCKER_HOST']}: No such file or directory"
        ] == cleaned.stderr.splitlines()
        assert [] == list(_store(project).iterdir())

    def test_dry_run_lists_and_keeps(self, project: Project) -> None:
        """--dry-run prints each snapshot, finished or not, and removes none."""
        store = _store(project)
        finished = _snapshot(store, "harmont-local/build/0123")
        unfinished = _snapshot(store, "harmont-local/build/.4567.deadbeef")

        cleaned = _clean(project, "--dry-run")

        assert (
            0,
            f"would remove snapshot {unfinished} (unfinished)\n"
            f"would remove snapshot {finished} (cache)\n",
        ) == (cleaned.returncode, cleaned.stdout)
        assert (True, True) == (finished.is_dir(), unfinished.is_dir())

    def test_empty_store(self, project: Project) -> None:
        """With nothing stored anywhere, the command says so."""
        cleaned = _clean(project)

        assert (0, "nothing to remove\n") == (cleaned.returncode, cleaned.stdout)


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A file that even root cannot delete (``chattr +i``), made deletable again after."""
    path = tmp_path / "store" / "harmont-local" / "stuck" / "v1" / "locked"
    path.parent.mkdir(parents=True)
    path.write_text("")
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", path], check=False).returncode != 0:
        pytest.skip("chattr +i is not available here (no e2fsprogs, or no CAP_LINUX_IMMUTABLE)")
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            subprocess.run([chattr, "-i", path], check=False)


class TestSnapshotStore:
    def test_only_the_store_layout_is_touched(self, tmp_path: Path) -> None:
        """Version directories go with the parents they leave empty; stray files stay."""
        store = tmp_path / "store"
        kept = _snapshot(store, "harmont-local/test/v1")
        gone = _snapshot(store, "harmont-local/build/v1")
        (store / "README").write_text("not ours")

        report = clean_snapshot_store(store=store)

        assert (
            CleanReport(
                dry_run=False,
                removals=(
                    Removal(what="snapshot", name=str(gone), kind="cache"),
                    Removal(what="snapshot", name=str(kept), kind="cache"),
                ),
            ),
            ["README"],
        ) == (report, sorted(p.name for p in store.iterdir()))

    def test_missing_store_has_nothing(self, tmp_path: Path) -> None:
        """A store that was never created is an empty report, not an error."""
        assert CleanReport(dry_run=False, removals=()) == clean_snapshot_store(
            store=tmp_path / "never"
        )

    def test_unremovable_snapshot_is_reported_and_the_others_go(
        self, tmp_path: Path, immutable: Path
    ) -> None:
        """A snapshot that cannot be deleted carries the reason; the next one is still removed."""
        store = tmp_path / "store"
        other = _snapshot(store, "harmont-local/there/v1")

        report = clean_snapshot_store(store=store)

        assert (
            (
                Removal(
                    what="snapshot",
                    name=str(immutable.parent),
                    kind="cache",
                    error="Operation not permitted",
                ),
                Removal(what="snapshot", name=str(other), kind="cache"),
            ),
            False,
        ) == (report.removals, other.exists())
