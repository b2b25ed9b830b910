"""Chain directories: a clone of the source, or of a snapshot with the source laid over it."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from harmont._executors._tree_clone import COPY, REFLINK, clone_tree

if TYPE_CHECKING:
    from pathlib import Path

#: An old time, so a kept modification time cannot be the clone's own.
_OLD_NS = 1_000_000_000_000_000_000


def _tree(root: Path) -> dict[str, tuple[str, str, int, int]]:
    """Every entry under *root*: kind, content or link target, permission bits, mtime."""
    found = {}
    for path in sorted(root.rglob("*")):
        status = path.lstat()
        if stat.S_ISLNK(status.st_mode):
            kind, body = "link", str(path.readlink())
        elif stat.S_ISDIR(status.st_mode):
            kind, body = "dir", ""
        else:
            kind, body = "file", path.read_text()
        mtime = 0 if kind == "link" else status.st_mtime_ns
        found[str(path.relative_to(root))] = (kind, body, stat.S_IMODE(status.st_mode), mtime)
    return found


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    os.utime(path, ns=(_OLD_NS, _OLD_NS))


class TestCloneTree:
    def test_a_clone_keeps_links_modes_and_times(self, tmp_path: Path) -> None:
        """Files, links (never followed) and directories come out as they went in."""
        source = tmp_path / "source"
        _write(source / "bin" / "tool", "#!/bin/sh\n", 0o755)
        (source / "abs").symlink_to("/etc")
        (source / "dangling").symlink_to("missing")
        os.utime(source / "bin", ns=(_OLD_NS, _OLD_NS))

        mechanism = clone_tree(source, tmp_path / "clone")

        assert mechanism in {COPY, REFLINK}
        assert _tree(source) == _tree(tmp_path / "clone")

    def test_the_source_laid_over_a_snapshot(self, tmp_path: Path) -> None:
        """The source's entries win, directories merge, the snapshot's other entries stay."""
        snapshot, source = tmp_path / "snapshot", tmp_path / "source"
        _write(snapshot / "src" / "main.c", "old")
        _write(snapshot / "src" / "main.o", "object")
        _write(snapshot / "out" / "report", "built")
        _write(snapshot / "was-dir" / "inside", "gone")
        _write(snapshot / "was-file", "gone")
        (snapshot / "was-link").symlink_to("/etc")
        _write(source / "src" / "main.c", "new", 0o600)
        _write(source / "was-dir", "now a file")
        _write(source / "was-file" / "inside", "now a directory")
        _write(source / "was-link", "now a file")
        os.utime(source / "src", ns=(_OLD_NS, _OLD_NS))
        before = _tree(snapshot)

        clone_tree(source, tmp_path / "chain", over=snapshot)
        chain = _tree(tmp_path / "chain")

        assert before == _tree(snapshot)
        assert {
            "src": _tree(source)["src"],
            "src/main.c": ("file", "new", 0o600, _OLD_NS),
            "src/main.o": before["src/main.o"],
            "out": before["out"],
            "out/report": before["out/report"],
            "was-dir": ("file", "now a file", 0o644, _OLD_NS),
            "was-file": _tree(source)["was-file"],
            "was-file/inside": ("file", "now a directory", 0o644, _OLD_NS),
            "was-link": ("file", "now a file", 0o644, _OLD_NS),
        } == chain
