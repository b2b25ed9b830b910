"""What idempotent extraction deletes before laying a new archive over an old workspace."""

from __future__ import annotations

import io
import tarfile

from harmont._executors._docker_workspace import Workspace, stale_paths


class TestStalePaths:
    """stale_paths(previous, current)."""

    def test_nothing_is_stale_when_the_source_is_unchanged(self) -> None:
        """The same file list twice deletes nothing (the common case: one run's archive)."""
        files = frozenset({"a.txt", "src/b.py"})

        assert [] == stale_paths(files, files)

    def test_removed_files_and_emptied_directories_go_deepest_first(self) -> None:
        """A directory comes after its contents, so it is removed only once they are."""
        previous = ["keep.txt", "old/deep/x.py", "old/y.py", "src/gone.py", "src/kept.py"]

        assert ["old/deep/x.py", "old/deep", "old/y.py", "src/gone.py", "old"] == stale_paths(
            previous, frozenset({"keep.txt", "src/kept.py"})
        )

    def test_a_directory_the_new_source_still_needs_is_kept(self) -> None:
        """A directory holding a current file is never listed, even if a file in it went."""
        assert ["lib/a/old.py"] == stale_paths(["lib/a/old.py"], frozenset({"lib/a/new.py"}))


class TestWorkspace:
    """Workspace.from_archive."""

    def test_files_are_the_archive_members_without_directories(self) -> None:
        """Member names are normalised to workspace-relative paths; directories are left out."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, kind in (
                ("./dir", tarfile.DIRTYPE),
                ("./dir/f", tarfile.REGTYPE),
                ("g", tarfile.REGTYPE),
            ):
                info = tarfile.TarInfo(name)
                info.type = kind
                tar.addfile(info, io.BytesIO(b""))

        assert frozenset({"dir/f", "g"}) == Workspace.from_archive(buffer.getvalue()).files
