"""
Source packing: the working tree as a deterministic ``.tar.gz`` (SPEC.md §5.3).

What goes in is what git would track, decided with ``pathspec``'s gitignore semantics:
``.git/info/exclude``, then the root ``.gitignore``, then nested ``.gitignore`` files, the
deepest file with a matching pattern deciding (negations included); an ignored directory
is not entered, so nothing under it can be re-included, as in git. The rules apply whether
or not the root is a git repository, so an exported tree packs like its checkout. The
user's global excludes file is deliberately not read: the same tree packs the same on
every machine.

Left out at any depth: ``.git`` (directories and the ``.git`` files of worktrees and
submodules), and ``.harmont``/``.hm``, which hold the host's own inputs (pipeline files,
native plugins, ``plan.json``) rather than sources a step builds.

Only regular files and symlinks (stored as symlinks, never followed) are packed; empty
directories vanish, as in git. Names are sorted, owners and timestamps normalised and the
gzip header carries no time, so the same tree always gives the same bytes.
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

import pathspec

from harmont._errors import HarmontError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["EXCLUDED_NAMES", "pack_source", "unpack_source"]

#: Entries never packed, at any depth.
EXCLUDED_NAMES: Final = frozenset({".git", ".harmont", ".hm"})

#: 1980-01-02 UTC: every member's mtime. Not 0, because zip-based tools (wheels, jars)
#: refuse timestamps before 1980, and a day after so no time zone turns it into 1979.
_MTIME: Final = 315_619_200

#: Read size when draining a gzip stream to its trailer.
_CHUNK: Final = 1 << 20

#: Fast compression: the archive is built on every run and unpacked on every step.
_GZIP_LEVEL: Final = 1


class _Rules:
    """The gitignore patterns of one directory, matched relative to that directory."""

    def __init__(self, base: str, spec: pathspec.GitIgnoreSpec) -> None:
        self.base = base
        self.spec = spec

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included by a negation, None if no pattern matches."""
        local = rel[len(self.base) + 1 :] if self.base else rel
        return self.spec.check_file(local + "/" if is_dir else local).include


def _read_rules(path: Path, base: str) -> list[_Rules]:
    try:
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()
    except OSError as exc:
        raise HarmontError(f"packing source: cannot read {path}: {exc.strerror}") from exc
    return [_Rules(base, pathspec.GitIgnoreSpec.from_lines(lines))]


def _ignored(rules: list[_Rules], rel: str, is_dir: bool) -> bool:
    for level in reversed(rules):
        decision = level.decide(rel, is_dir)
        if decision is not None:
            return decision
    return False


def _walk(directory: Path, rel: str, rules: list[_Rules]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    rules = rules + _read_rules(directory / ".gitignore", rel)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as exc:
        raise HarmontError(f"packing source: cannot list {directory}: {exc.strerror}") from exc
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


def _member(name: str, entry: os.DirEntry[str]) -> tuple[tarfile.TarInfo, bytes | None]:
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
            # Read, then size from what was read: a file growing while we pack cannot
            # make the header and the data disagree.
            data = handle.read()
            executable = os.fstat(handle.fileno()).st_mode & stat.S_IXUSR
    except OSError as exc:
        raise HarmontError(f"packing source: cannot read {entry.path}: {exc.strerror}") from exc
    info.size = len(data)
    info.mode = 0o755 if executable else 0o644
    return info, data


def pack_source(root: Path) -> bytes:
    """
    Pack the working tree under *root* into gzip-compressed tar bytes.

    :param root: the repository root; member names are relative to it.
    :returns: the archive, identical for identical trees.
    :raises HarmontError: *root* is not a directory, or a file cannot be read.
    """
    if not root.is_dir():
        raise HarmontError(f"packing source: {root} is not a directory")
    rules = _read_rules(root / ".git" / "info" / "exclude", "")
    buffer = io.BytesIO()
    # GzipFile directly, not tarfile's "w:gz": that one stamps the current time and the
    # file name into the gzip header.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, entry in _walk(root, "", rules):
            info, data = _member(name, entry)
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
        raise HarmontError(
            f"unpacking source: member '{member.name}' leaves the destination"
        ) from exc


def unpack_source(data: bytes, dest: Path) -> None:
    """
    Extract an archive made by :func:`pack_source` into *dest* (created if missing).

    Every member is checked before anything is written: only regular files and symlinks,
    no absolute name, no ``..`` component, nothing under a symlink of the archive. A
    link's own target may point anywhere (repositories do hold links to ``/usr/bin/...``):
    nothing is ever written through one.

    :raises HarmontError: the archive is corrupt, a member is refused, or *dest* cannot be
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
                    raise HarmontError(f"unpacking source: member '{member.name}' {reason}")
            dest.mkdir(parents=True, exist_ok=True)
            tar.extractall(dest, filter=_extraction_filter)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise HarmontError(f"unpacking source into {dest}: corrupt archive ({exc})") from exc
    except OSError as exc:
        raise HarmontError(f"unpacking source into {dest}: {exc.strerror or exc}") from exc
