"""
Source packing: the working tree as a deterministic ``.tar.gz``.

What goes in is what git would track, decided by git's own gitignore rules
(:mod:`._gitignore`): ``.git/info/exclude``, then the root ``.gitignore``, then nested
``.gitignore`` files, the deepest file with a matching pattern deciding (negations
included); an ignored directory is not entered, so nothing under it can be re-included,
as in git. Every line git accepts is accepted, and means what it means to git. The rules
apply whether or not the root is a git repository, so an exported tree packs like its
checkout. The user's global excludes file is deliberately not read: the same tree packs
the same on every machine.

Left out at any depth: ``.git`` (directories and the ``.git`` files of worktrees and
submodules), and ``.harmont``/``.hm``, which hold the host's own inputs (pipeline files,
native plugins, ``plan.json``) rather than sources a step builds.

Only regular files and symlinks (stored as symlinks, never followed) are packed; empty
directories vanish, as in git. Names are sorted, owners and timestamps normalised and the
gzip header carries no time, so the same tree always gives the same bytes.

The archive is held in memory, so the bytes of the files packed are bounded:
``HM_MAX_SOURCE_BYTES`` (default 512 MiB; ``0`` lifts the limit). Each file's size is
counted before it is read, so a run started from the wrong directory (``$HOME``) stops at
the limit instead of reading the whole tree.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from harmont._errors import SourceError, UnpackError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from harmont._orchestrator._gitignore import IgnoreFile

__all__ = [
    "DEFAULT_MAX_SOURCE_BYTES",
    "EXCLUDED_NAMES",
    "MAX_SOURCE_BYTES_VARIABLE",
    "max_source_bytes",
    "pack_source",
    "unpack_source",
]

#: Entries never packed, at any depth.
EXCLUDED_NAMES: Final = frozenset({".git", ".harmont", ".hm"})

#: 1980-01-02 UTC: every member's mtime. Not 0, because zip-based tools (wheels, jars)
#: refuse timestamps before 1980, and a day after so no time zone turns it into 1979.
_MTIME: Final = 315_619_200

#: Read size when draining a gzip stream to its trailer.
_CHUNK: Final = 1 << 20

#: Fast compression: the archive is built on every run and unpacked on every step.
_GZIP_LEVEL: Final = 1

#: The environment variable that bounds the bytes of files packed; ``0`` lifts the bound.
MAX_SOURCE_BYTES_VARIABLE: Final = "HM_MAX_SOURCE_BYTES"
#: The bound when the variable is unset: far above a source tree, far below a home directory.
DEFAULT_MAX_SOURCE_BYTES: Final = 512 << 20

#: Suffixes the variable accepts, in binary units: ``2G`` is 2 GiB.
_UNITS: Final = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}

_UNREADABLE_HINT: Final = "make it readable, or leave it out of the source with .gitignore"


def max_source_bytes(env: Mapping[str, str] | None = None) -> int | None:
    """
    The most bytes of files a run may pack, from ``HM_MAX_SOURCE_BYTES``.

    The value is a byte count, optionally with a binary suffix (``K``, ``M``, ``G``).

    :param env: the environment to read (default ``os.environ``).
    :returns: the limit, or None when the variable is ``0`` (no limit).
    :raises UsageError: the variable is set to something else.
    """
    text = (os.environ if env is None else env).get(MAX_SOURCE_BYTES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_SOURCE_BYTES
    digits, unit = (text[:-1], text[-1].upper()) if text[-1].isalpha() else (text, "")
    if not digits.isdigit() or unit not in _UNITS:
        raise UsageError(
            f"{MAX_SOURCE_BYTES_VARIABLE}: expected a byte count such as 536870912 or 512M, "
            f"got {text!r}",
            hint="0 lifts the limit",
        )
    return int(digits) * _UNITS[unit] or None


def _size(count: int) -> str:
    """*count* bytes for people: ``512 MiB``, ``1.5 GiB``, ``300 bytes``."""
    for unit in ("G", "M", "K"):
        scale = _UNITS[unit]
        if count >= scale:
            return f"{count / scale:.1f}".removesuffix(".0") + f" {unit}iB"
    return f"{count} bytes"


class _Budget:
    """The bytes still allowed into the archive; refuses a file before it is read."""

    def __init__(self, root: Path, limit: int | None) -> None:
        self.root = root
        self.limit = limit
        self.used = 0

    def spend(self, name: str, size: int) -> None:
        self.used += size
        if self.limit is not None and self.used > self.limit:
            raise SourceError(
                f"packing source: the files to pack under {self.root} exceed "
                f"{_size(self.limit)} ({_size(self.used)} counted when '{name}' was reached)",
                path=str(self.root),
                hint="leave large files out with .gitignore, pass the project root with -d, "
                f"or raise {MAX_SOURCE_BYTES_VARIABLE} (0 lifts the limit)",
            )


def _read_rules(path: Path, base: str) -> list[IgnoreFile]:
    try:
        if not path.is_file():
            return []
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"packing source: cannot read {path}: {exc.strerror}",
            path=str(path),
            hint=_UNREADABLE_HINT,
        ) from exc
    # Imported here: a tree without ignore files never loads the matcher.
    from harmont._orchestrator._gitignore import IgnoreFile

    return [IgnoreFile.parse(data, base)]


def _ignored(rules: list[IgnoreFile], rel: str, is_dir: bool) -> bool:
    path = os.fsencode(rel)
    for level in reversed(rules):
        decision = level.decide(path, is_dir=is_dir)
        if decision is not None:
            return decision
    return False


def _walk(
    directory: Path, rel: str, rules: list[IgnoreFile]
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    rules = rules + _read_rules(directory / ".gitignore", rel)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise SourceError(
            f"packing source: cannot list {directory}: {exc.strerror}",
            path=str(directory),
            hint=_UNREADABLE_HINT,
        ) from exc
    for entry in entries:
        if entry.name in EXCLUDED_NAMES:
            continue
        child = f"{rel}/{entry.name}" if rel else entry.name
        is_dir = entry.is_dir(follow_symlinks=False)
        if _ignored(rules, child, is_dir):
            continue
        if is_dir:
            yield from _walk(Path(entry.path), child, rules)
        elif entry.is_file(follow_symlinks=False) or entry.is_symlink():
            yield child, entry


def _member(
    name: str, entry: os.DirEntry[str], budget: _Budget
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.mtime = _MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    path = Path(entry.path)
    try:
        if entry.is_symlink():
            info.type = tarfile.SYMTYPE
            info.linkname = str(path.readlink())
            info.mode = 0o777
            return info, None
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            budget.spend(name, status.st_size)
            # Read, then size from what was read: a file growing while we pack cannot
            # make the header and the data disagree.
            data = handle.read()
    except OSError as exc:
        raise SourceError(
            f"packing source: cannot read {entry.path}: {exc.strerror}",
            path=entry.path,
            hint=_UNREADABLE_HINT,
        ) from exc
    executable = status.st_mode & stat.S_IXUSR
    info.size = len(data)
    info.mode = 0o755 if executable else 0o644
    return info, data


def pack_source(root: Path, *, max_bytes: int | None = None) -> bytes:
    """
    Pack the working tree under *root* into gzip-compressed tar bytes.

    :param root: the repository root; member names are relative to it.
    :param max_bytes: the most bytes of files to pack; None reads
        :func:`max_source_bytes` from the environment, 0 means no limit.
    :returns: the archive, identical for identical trees.
    :raises SourceError: *root* is not a directory, a file cannot be read, or the files
        exceed the limit.
    :raises UsageError: ``HM_MAX_SOURCE_BYTES`` is not a byte count.
    """
    if not root.is_dir():
        raise SourceError(
            f"packing source: {root} is not a directory",
            path=str(root),
            hint="pass the project root with -d",
        )
    limit = max_source_bytes() if max_bytes is None else max_bytes or None
    budget = _Budget(root, limit)
    rules = _read_rules(root / ".git" / "info" / "exclude", "")
    buffer = io.BytesIO()
    # GzipFile directly, not tarfile's "w:gz": that one stamps the current time and the
    # file name into the gzip header.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, entry in _walk(root, "", rules):
            info, data = _member(name, entry, budget)
            tar.addfile(info, None if data is None else io.BytesIO(data))
    return buffer.getvalue()


def _refusal(member: tarfile.TarInfo, links: set[PurePosixPath]) -> str | None:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        return "leaves the destination"
    if not (member.isreg() or member.issym()):
        return "is not a regular file or symlink"
    if any(parent in links for parent in path.parents):
        return "would be written through a symlink"
    return None


def _extraction_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    # tar_filter resolves each target through what is already on disk, which also covers
    # links that were in *dest* before we started.
    try:
        return tarfile.tar_filter(member, dest)
    except tarfile.FilterError as exc:
        raise UnpackError(
            f"unpacking source: member '{member.name}' leaves the destination", path=dest
        ) from exc


def unpack_source(data: bytes, dest: Path) -> None:
    """
    Extract an archive made by :func:`pack_source` into *dest* (created if missing).

    Every member is checked before anything is written: only regular files and symlinks,
    no absolute name, no ``..`` component, nothing under a symlink of the archive. A
    link's own target may point anywhere (repositories do hold links to ``/usr/bin/...``):
    nothing is ever written through one.

    :raises UnpackError: the archive is corrupt, a member is refused, or *dest* cannot be
        written.
    """
    try:
        with (
            gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as gz,
            tarfile.open(fileobj=gz, mode="r:") as tar,
        ):
            members = tar.getmembers()
            # tarfile stops at the end-of-archive blocks and never reaches the gzip trailer:
            # read on, so the CRC is checked before anything is written.
            while gz.read(_CHUNK):
                pass
            links = {PurePosixPath(m.name) for m in members if m.issym()}
            for member in members:
                reason = _refusal(member, links)
                if reason is not None:
                    raise UnpackError(
                        f"unpacking source: member '{member.name}' {reason}", path=str(dest)
                    )
            dest.mkdir(parents=True, exist_ok=True)
            tar.extractall(dest, filter=_extraction_filter)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise UnpackError(
            f"unpacking source into {dest}: corrupt archive ({exc})", path=str(dest)
        ) from exc
    except OSError as exc:
        raise UnpackError(
            f"unpacking source into {dest}: {exc.strerror or exc}", path=str(dest)
        ) from exc
