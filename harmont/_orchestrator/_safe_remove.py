"""
Listing and removing inside a store directory without ever leaving it.

A store (the local runner's snapshots) is a tree that anything running as the user can
change: a symlink planted where a directory was expected must not make a clean list or
delete what it points to. So every step here goes through directory file descriptors
opened with ``O_NOFOLLOW``: a symlink at any level, the store itself included, is never
followed, whatever happens between listing and removing. Removal is
:func:`shutil.rmtree` relative to such a descriptor, its symlink-attack-safe variant.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["directories_at", "remove_below"]

_DIRECTORY_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_directory(name: str | Path, dir_fd: int | None = None) -> int:
    """A descriptor of the directory *name*; OSError (ELOOP) if it is a symlink."""
    return os.open(name, _DIRECTORY_FLAGS, dir_fd=dir_fd)


def directories_at(root: Path, depth: int) -> list[tuple[str, ...]]:
    """
    The directories exactly *depth* levels below *root*, as name tuples, sorted.

    Symlinks are neither listed nor entered; an entry that vanishes or changes while it is
    read is skipped.

    :raises OSError: *root* cannot be opened (missing, not a directory, a symlink).
    """
    found: list[tuple[str, ...]] = []
    descriptor = _open_directory(root)
    try:
        _collect(descriptor, (), depth, found)
    finally:
        os.close(descriptor)
    return sorted(found)


def _collect(
    descriptor: int, prefix: tuple[str, ...], depth: int, found: list[tuple[str, ...]]
) -> None:
    with os.scandir(descriptor) as entries:
        names = sorted(entry.name for entry in entries if entry.is_dir(follow_symlinks=False))
    for name in names:
        if depth == 1:
            found.append((*prefix, name))
            continue
        try:
            child = _open_directory(name, dir_fd=descriptor)
        except OSError:
            continue  # replaced by a symlink or removed since it was listed
        try:
            _collect(child, (*prefix, name), depth - 1, found)
        finally:
            os.close(child)


def remove_below(root: Path, relative: tuple[str, ...], *, prune: int = 0) -> None:
    """
    Remove the directory *root*/*relative* and everything in it, then up to *prune* of
    its parents that this left empty (never *root* itself).

    No symlink is followed on the way down or inside: a link in place of one of
    *relative*'s directories fails the removal (OSError) instead of reaching outside.

    :raises OSError: the directory cannot be reached or removed.
    """
    if not relative:
        raise ValueError("remove_below needs a directory below the root")
    descriptors = [_open_directory(root)]
    try:
        for name in relative[:-1]:
            descriptors.append(_open_directory(name, dir_fd=descriptors[-1]))
        shutil.rmtree(relative[-1], dir_fd=descriptors[-1])
        for level in range(len(relative) - 2, len(relative) - 2 - prune, -1):
            if level < 0:
                break
            try:
                os.rmdir(relative[level], dir_fd=descriptors[level])
            except OSError:
                break  # not empty: something else still lives there
    finally:
        for descriptor in descriptors:
            with contextlib.suppress(OSError):
                os.close(descriptor)
