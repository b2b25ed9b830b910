# Paths here are strings, not Path objects: see _walk.
# ruff: noqa: PTH101, PTH102, PTH115, PTH118, PTH211
"""
Copy-free directory trees for the local runner: a reflink per file, or a copy.

A chain starts from the run's source, extracted once, and a fork child from its parent's
snapshot with the source laid over it (one walk over both trees); both are copies of
trees that nobody writes to afterwards. Where the file
system shares extents between files (btrfs, XFS, bcachefs, ZFS 2.2: the ``FICLONE``
ioctl, what ``cp --reflink=auto`` uses), a file's copy is a reflink: no data is read or
written until one side changes a block. Elsewhere each file is copied in the kernel
(``sendfile``). Which of the two a tree got is reported as :data:`REFLINK` or
:data:`COPY`, so a bench can say what the machine used.

An overlay mount would make even the directories free, but it needs mount privileges
(root, or a user namespace that the steps would then have to run in) and leaves mounts
behind when `hm` is killed; the local runner does not use one.

The walk never follows a symlink: symlinks are recreated as symlinks, whatever their
target (absolute, dangling, or leading outside the tree), and names are handled as bytes
the file system gave, so any name git can hold is cloned. Modes and modification times
are kept, as ``cp -a`` keeps them: build tools compare them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
from pathlib import Path
from typing import Final

__all__ = ["COPY", "REFLINK", "clone_tree", "probe"]

#: Files shared by reflink (copy-on-write extents).
REFLINK: Final = "reflink"
#: Files copied byte for byte.
COPY: Final = "copy"

#: ``FICLONE`` from ``<linux/fs.h>``: ``_IOW(0x94, 9, int)``.
_FICLONE: Final = 0x40049409


def _clone_file(source: str, target: str, mode: int) -> str:
    """Clone regular file *source* to *target* (absent); the mechanism that did it."""
    # Raw descriptors: a buffered file object costs more than a small file's copy.
    src = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.ioctl(dst, _FICLONE, src)
                how = REFLINK
            except OSError:
                _copy(src, dst)
                how = COPY
            os.fchmod(dst, stat.S_IMODE(mode))
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return how


def _copy(source: int, target: int) -> None:
    """Copy descriptor *source* to *target* in the kernel where it can."""
    size = os.fstat(source).st_size
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(target, source, offset, size - offset)
            if not sent:
                break
            offset += sent
    except OSError:
        os.lseek(source, offset, os.SEEK_SET)
        os.lseek(target, offset, os.SEEK_SET)
        while chunk := os.read(source, 1 << 20):
            os.write(target, chunk)


def _times(entry: os.stat_result) -> tuple[int, int]:
    return (entry.st_atime_ns, entry.st_mtime_ns)


def _walk(layers: list[str], target: str, found: set[str]) -> None:
    """
    Fill the empty directory *target* with the union of the directories *layers*: at a
    name several layers hold, the last one's entry wins, and directories that win
    together (the last entry and those right below it are all directories) are merged.
    """
    # Names come as the file system gave them (undecodable bytes as surrogate escapes),
    # and go back out as the same bytes. Paths are plain strings: a tree of small files
    # costs more in path objects than in copying.
    named: dict[str, list[os.DirEntry[str]]] = {}
    for layer in layers:
        with os.scandir(layer) as entries:
            for entry in entries:
                named.setdefault(entry.name, []).append(entry)
    for name, stack in named.items():
        dst = os.path.join(target, name)
        status = stack[-1].stat(follow_symlinks=False)
        if stat.S_ISDIR(status.st_mode):
            merged = []
            for entry in reversed(stack):
                # A directory is entered only if it is one: never through a link.
                if not entry.is_dir(follow_symlinks=False):
                    break
                merged.append(entry.path)
            os.mkdir(dst)
            _walk(merged[::-1], dst, found)
            os.chmod(dst, stat.S_IMODE(status.st_mode))
        elif stat.S_ISLNK(status.st_mode):
            os.symlink(os.readlink(stack[-1].path), dst)
        elif stat.S_ISREG(status.st_mode):
            found.add(_clone_file(stack[-1].path, dst, status.st_mode))
        else:
            continue  # sockets, FIFOs, devices: not part of a source tree or a build
        os.utime(dst, ns=_times(status), follow_symlinks=False)


def clone_tree(source: Path, target: Path, *, over: Path | None = None) -> str:
    """
    Make *target* (absent) a copy of the tree *source*, by reflink where it can; with
    *over*, a copy of the tree *over* with *source* laid over it.

    Laid over: what *over* holds at a path of *source* is *source*'s (a directory of both
    is merged, and takes *source*'s mode and time); everything else of *over* (a step's
    build outputs) is kept. One walk makes the result, so no file of *over* that *source*
    replaces is ever copied, and a symlink of *over* is never written through.
    *target* itself takes the mode and times of *over*, or of *source* without it.

    :returns: :data:`REFLINK` if every file was reflinked, :data:`COPY` otherwise (also
        for a tree with no files: nothing was shared).
    :raises OSError: a tree cannot be read or *target* cannot be written.
    """
    target.mkdir()
    found: set[str] = set()
    layers = [os.fspath(source)] if over is None else [os.fspath(over), os.fspath(source)]
    _walk(layers, os.fspath(target), found)
    shutil.copystat(layers[0], target, follow_symlinks=False)
    return REFLINK if found == {REFLINK} else COPY


def probe(directory: Path) -> str:
    """
    The mechanism :func:`clone_tree` gets for files in *directory*: one file is cloned.

    A bench (or a curious user) asks this of the temporary directory, where the local
    runner makes its chains: ``python -c "import tempfile, pathlib;
    from harmont._executors._tree_clone import probe;
    print(probe(pathlib.Path(tempfile.gettempdir())))"``.
    """
    import tempfile

    with tempfile.TemporaryDirectory(dir=directory, prefix="hm-clone-probe-") as scratch:
        source = Path(scratch) / "source"
        source.write_bytes(b"probe")
        return _clone_file(str(source), str(Path(scratch) / "clone"), 0o644)
