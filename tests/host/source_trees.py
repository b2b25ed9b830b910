"""Source trees that are hard to pack, shared by the packing tests and the `hm run` tests."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def beyond_path_max(root: Path) -> str:
    """
    Create a file under *root* whose path is longer than PATH_MAX and return that path.

    The OS refuses to open it by path, even for root (who reads a mode-000 file), so it
    stands for any file that cannot be read. Its directories start with ``d``, so it sorts
    after names starting with ``a`` to ``c``. Built through directory descriptors, since no
    path-based call reaches it.
    """
    directory = os.open(root, os.O_RDONLY)
    length = len(str(root))
    parts = []
    while length < 4000:
        parts.append("d" * min(200, 4000 - length))
        os.mkdir(parts[-1], dir_fd=directory)
        inner = os.open(parts[-1], os.O_RDONLY, dir_fd=directory)
        os.close(directory)
        directory = inner
        length += len(parts[-1]) + 1
    parts.append("f" * 200)
    os.close(os.open(parts[-1], os.O_CREAT | os.O_WRONLY, dir_fd=directory))
    os.close(directory)
    return str(root.joinpath(*parts))
