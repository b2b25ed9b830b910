"""
The capability index: what the installed plugins' manifests render to, cached per environment.

`hm --help` must list every plugin verb, and ``hm <verb> --help`` must describe it; both
come from the plugins' manifests, and loading every plugin (importing it, or starting a
native library) to read them costs more than the rest of `hm` together. So the help
those manifests render to is kept in ``$XDG_CACHE_HOME/harmont/capabilities-<id>.json``
(one file per Python environment), together with a fingerprint of everything the
registry was built from:

- every distribution on ``sys.path`` (its ``*.dist-info``/``*.egg-info`` name, which holds
  its version, and the time it was installed), so installing, upgrading or removing any
  distribution, a plugin or not, rebuilds the index;
- every file in the native plugin directories (path, size, modification time);
- the files that define the loaded Python plugins and `hm`'s own commands (size and
  modification time), so editing an editable install is seen too;
- the interpreter and the environment variables that steer discovery; of the working
  directory, only its ``.harmont/plugins`` listing, so projects without native plugins
  share one index.

A lookup recomputes the fingerprint (directory listings and ``stat`` calls, no import)
and answers only when it matches, so the index is never stale. It is written only from a
registry in which every plugin loaded: a broken or conflicting plugin is never cached, so
it surfaces on every run exactly as it does without the index.

The index also keeps the ``harmont.plugins`` entry points that discovery found, under a
fingerprint of the distributions alone (their listing, and each one's
``entry_points.txt`` size and time), so that a run lists its plugins without importing
:mod:`importlib.metadata` or parsing any distribution's metadata. Only the list is kept:
every plugin is still imported and validated on each run, so a broken or conflicting one
surfaces as it always did.
"""

from __future__ import annotations

import os
import sys

# Not `typing.TYPE_CHECKING`: a lookup must cost less than importing typing (or pathlib).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path
    from typing import Any, Final

    #: One entry point as discovery reports it: ``(name, value, distribution, version)``.
    EntryPointRow = tuple[str, str, str | None, str | None]
    #: What :func:`help_stamp` took: the native directories and the fingerprint of all but
    #: the files.
    HelpStamp = tuple[list[str], list[str]]

__all__ = [
    "distributions_fingerprint",
    "help_stamp",
    "index_path",
    "lookup_entry_points",
    "lookup_help",
    "store_entry_points",
    "store_help",
    "terminal_columns",
]

#: Bump when the file's layout changes; a file of another format is rebuilt.
_FORMAT: Final = 2
#: The environment variables discovery reads (see ``load_registry``, ``native_dirs``).
_DISCOVERY_ENV: Final = ("HOME", "HM_NO_PLUGIN_AUTOLOAD", "HM_DISABLE_PLUGINS", "HM_PLUGIN_PATH")
_DISTRIBUTION_SUFFIXES: Final = (".dist-info", ".egg-info")
#: Where a distribution declares its entry points, inside its metadata directory.
_ENTRY_POINTS_FILE: Final = "entry_points.txt"
#: The project's native plugin directory, relative to the working directory.
_PROJECT_PLUGINS: Final = os.path.join(".harmont", "plugins")  # noqa: PTH118
#: What reading an index of valid JSON but another shape raises (a field of the wrong
#: type, or missing): such an index is a miss, as a corrupt one is.
_WRONG_SHAPE: Final = (AttributeError, KeyError, TypeError, ValueError)


def index_path() -> str:
    """
    This environment's index file, under ``$XDG_CACHE_HOME/harmont`` (or ``~/.cache``).

    One file per interpreter and import path: `hm` and ``python -m harmont_cli`` see
    different ``sys.path`` entries, and must not keep rebuilding each other's index.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")  # noqa: PTH111, PTH117, PTH118
    environment = _fnv1a("\0".join([sys.prefix, sys.executable, *sys.path]).encode())
    return os.path.join(base, "harmont", f"capabilities-{environment:08x}.json")  # noqa: PTH118


def terminal_columns() -> int:
    """
    The width click formats help for: ``shutil.get_terminal_size().columns``, without
    importing :mod:`shutil` (which costs more than this whole lookup).
    """
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def lookup_help(words: Sequence[str]) -> str | None:
    """
    The help ``hm <words> --help`` prints, if the index holds it and is fresh; else None.
    """
    index = _read()
    if index is None:
        return None
    try:
        if _fingerprint(index["native_dirs"], index["files"]) != index["fingerprint"]:
            return None
        text = index["help"].get(_entry(words))
    except _WRONG_SHAPE:
        return None
    return text if isinstance(text, str) else None


def help_stamp(native_dirs: Iterable[Path]) -> HelpStamp:
    """
    What the registry about to load is built from, taken before it loads, for
    :func:`store_help`.

    :param native_dirs: the directories the registry scans for native libraries.

    Taken before and not after: a distribution installed while the plugins load must
    make the help stored now stale, not be recorded as if the help knew it.
    """
    project = os.path.join(os.getcwd(), _PROJECT_PLUGINS)  # noqa: PTH109, PTH118
    dirs = sorted({str(directory) for directory in native_dirs} - {project})
    return dirs, _surroundings(dirs)


def store_help(words: Sequence[str], text: str, *, stamp: HelpStamp, files: Iterable[str]) -> None:
    """
    Remember *text* as the help of ``hm <words> --help``.

    :param stamp: :func:`help_stamp`, taken before the registry that rendered *text* loaded.
    :param files: the files whose contents shaped *text*: the loaded Python plugins'
        modules and `hm`'s own command modules.

    Best effort: a cache that cannot be written only costs the next run its speed.
    """
    dirs, surroundings = stamp
    watched = sorted(set(files))
    fingerprint = "\n".join([*surroundings, *_file_stats(watched)])
    index = _read() or {}
    help_texts = index.get("help")
    if index.get("fingerprint") != fingerprint or not isinstance(help_texts, dict):
        help_texts = {}
        index.update(fingerprint=fingerprint, native_dirs=dirs, files=watched, help=help_texts)
    help_texts[_entry(words)] = text
    _write(index)


def distributions_fingerprint() -> str:
    """
    The installed distributions as :func:`lookup_entry_points` and
    :func:`store_entry_points` compare them.

    Take it before reading the entry points it is stored with: a distribution installed
    in between then makes them stale, rather than being recorded as if they held it.
    """
    return "\n".join(_distributions())


def lookup_entry_points(fingerprint: str) -> list[EntryPointRow] | None:
    """
    The ``harmont.plugins`` entry points last stored, if they were stored under
    *fingerprint* (:func:`distributions_fingerprint`); else None.
    """
    index = _read()
    try:
        stored = index.get("entry_points") if index is not None else None
        if not stored or stored.get("fingerprint") != fingerprint:
            return None
        rows = [(name, value, dist, version) for name, value, dist, version in stored["rows"]]
    except _WRONG_SHAPE:
        return None
    texts = all(isinstance(name, str) and isinstance(value, str) for name, value, _, _ in rows)
    known = all(isinstance(info, str | None) for row in rows for info in row[2:])
    return rows if texts and known else None


def store_entry_points(fingerprint: str, rows: Iterable[EntryPointRow]) -> None:
    """
    Remember the entry points discovery read after taking *fingerprint*
    (:func:`distributions_fingerprint`).

    Best effort, as :func:`store_help`.
    """
    index = _read() or {}
    index["entry_points"] = {"fingerprint": fingerprint, "rows": list(rows)}
    _write(index)


def _write(index: dict[str, Any]) -> None:
    """
    Replace the index file with *index*; a file that cannot be written is left alone.

    No ``OSError`` escapes: a cache directory that cannot be made (``XDG_CACHE_HOME`` a
    regular file, a read-only home) must cost speed only, never the command.
    """
    import contextlib
    import json
    from pathlib import Path

    index["format"] = _FORMAT
    path = Path(index_path())
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(index), encoding="utf-8")
        temporary.replace(path)  # readers see the old index or the new one, whole
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _fnv1a(data: bytes) -> int:
    """A stable 32-bit hash (``hash()`` is salted per process, and zlib costs a dlopen)."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _entry(words: Sequence[str]) -> str:
    return f"{terminal_columns()} {' '.join(words)}"


def _read() -> dict[str, Any] | None:
    import json

    try:
        with open(index_path(), encoding="utf-8") as file:  # noqa: PTH123
            index = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("format") != _FORMAT:
        return None
    return index


def _fingerprint(native_dirs: Iterable[str], files: Iterable[str]) -> str:
    """Everything the registry's capabilities depend on, as one comparable string."""
    return "\n".join([*_surroundings(native_dirs), *_file_stats(files)])


def _surroundings(native_dirs: Iterable[str]) -> list[str]:
    """The fingerprint but the files: what discovery reads, and what it finds."""
    parts = [f"{name}={os.environ.get(name, '')}" for name in _DISCOVERY_ENV]
    parts += ["project", *_listing(_PROJECT_PLUGINS)]
    parts += _distributions()
    for directory in native_dirs:
        parts.append(f"native {directory}")
        parts += _listing(directory)
    return parts


def _file_stats(files: Iterable[str]) -> list[str]:
    return [f"file {file} {_stat(file)}" for file in files]


def _distributions() -> list[str]:
    """
    The distributions on ``sys.path``: each one's metadata directory (its name holds the
    version) with its time, and the size and time of its ``entry_points.txt``. An entry
    that is no directory (a zip archive, which may hold distributions too) counts by its
    own size and time.
    """
    parts = [sys.version, sys.executable]
    for entry in sys.path:
        parts.append(f"path {entry}")
        try:
            found = [e for e in os.scandir(entry or ".") if e.name.endswith(_DISTRIBUTION_SUFFIXES)]
        except OSError:
            parts.append(_stat(entry))
            continue
        rows = [
            f"{e.name} {_mtime(e)} {_stat(os.path.join(e.path, _ENTRY_POINTS_FILE))}"  # noqa: PTH118
            for e in found
        ]
        parts += sorted(rows)
    return parts


def _listing(directory: str) -> list[str]:
    """``name size mtime`` of each entry of *directory*, sorted."""
    try:
        entries = list(os.scandir(directory or "."))
    except OSError:
        return []
    return sorted(f"{entry.name} {_stat(entry.path)}" for entry in entries)


def _mtime(entry: os.DirEntry[str]) -> str:
    try:
        return str(entry.stat().st_mtime_ns)
    except OSError:
        return "-"


def _stat(path: str) -> str:
    try:
        stat = os.stat(path)  # noqa: PTH116
    except OSError:
        return "-"
    return f"{stat.st_size} {stat.st_mtime_ns}"
