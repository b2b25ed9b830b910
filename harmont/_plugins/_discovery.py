"""
Where plugins come from: the ``harmont.plugins`` entry points and the native directories.

Discovery only *finds* candidates; it imports nothing. Importing a Python plugin and
validating its manifest is the registry's job (``_manager.py``), so a candidate that is
disabled by name is never imported at all.

Reading the entry points means importing :mod:`importlib.metadata` and parsing every
distribution's metadata, which costs a run more than the rest of discovery; so discovery
writes the entry points it read into the capability index (``_capability_index.py``, a
file under ``$XDG_CACHE_HOME/harmont``), under a fingerprint of the installed
distributions taken before reading them, and reads them back from there while nothing
was installed, upgraded or removed. A cache that cannot be written costs only speed.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from harmont._plugins._capability_index import EntryPointRow

__all__ = [
    "ENTRY_POINT_GROUP",
    "FIRST_PARTY_DISTRIBUTION",
    "NATIVE_SUFFIX",
    "Candidate",
    "EntryPoint",
    "PluginKind",
    "entry_point_candidates",
    "native_candidates",
    "native_dirs",
    "user_plugin_dir",
]

#: The entry-point group every Python plugin, first-party or third-party, registers in.
ENTRY_POINT_GROUP: Final = "harmont.plugins"

#: Entry points of this distribution are the built-ins: they load first and always.
FIRST_PARTY_DISTRIBUTION: Final = "harmont"

#: File suffix of a native plugin library on this platform.
NATIVE_SUFFIX: Final = {"win32": ".dll", "darwin": ".dylib"}.get(sys.platform, ".so")

PluginKind = Literal["python", "native"]

#: :class:`importlib.metadata.EntryPoint`'s own grammar of an entry point's value.
_ENTRY_POINT_VALUE: Final = re.compile(
    r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"
)


@attrs.frozen
class EntryPoint:
    """
    A ``harmont.plugins`` entry point: its name and its ``module:attr`` value.

    Loads as :meth:`importlib.metadata.EntryPoint.load` does, without importing
    :mod:`importlib.metadata`, so that an entry point read back from the capability index
    costs nothing until it is loaded.
    """

    name: str
    value: str

    def load(self) -> object:
        """Import the module and return the named attribute (the module if none is named)."""
        match = _ENTRY_POINT_VALUE.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        loaded: object = importlib.import_module(match.group("module"))
        for name in filter(None, (match.group("attr") or "").split(".")):
            loaded = getattr(loaded, name)
        return loaded


@attrs.frozen(kw_only=True)
class Candidate:
    """
    A plugin found but not loaded yet.

    ``name`` is the entry-point name for Python plugins (which the manifest name must
    equal) and the file stem for native libraries; it is what ``-p no:NAME`` matches.
    """

    #: What ``-p no:NAME`` and every message call this plugin.
    name: str
    kind: PluginKind
    #: Human-readable origin: ``module:attr (distribution 1.2.0)`` or a file path.
    source: str
    #: Shipped with harmont itself (its own entry points).
    builtin: bool = False
    #: The entry point to load, for Python plugins.
    entry_point: EntryPoint | None = None
    #: Name and version of the distribution that declares the entry point.
    distribution: str | None = None
    distribution_version: str | None = None
    #: The library file, for native plugins.
    path: Path | None = None


def entry_point_candidates(*, include_third_party: bool = True) -> list[Candidate]:
    """
    Return the ``harmont.plugins`` entry points, harmont's own first.

    Third-party entry points follow in name order, so hook order does not depend on the
    order of ``sys.path`` entries or of a directory listing.
    """
    from harmont._plugins import _capability_index as index

    fingerprint = index.distributions_fingerprint()
    found = index.lookup_entry_points(fingerprint)
    if found is None:
        found = _installed_entry_points()
        index.store_entry_points(fingerprint, found)
    first_party: list[Candidate] = []
    third_party: list[Candidate] = []
    for name, value, dist_name, dist_version in found:
        builtin = dist_name == FIRST_PARTY_DISTRIBUTION
        where = f" ({dist_name} {dist_version})" if dist_name else ""
        candidate = Candidate(
            name=name,
            kind="python",
            source=f"{value}{where}",
            builtin=builtin,
            entry_point=EntryPoint(name, value),
            distribution=dist_name,
            distribution_version=dist_version,
        )
        (first_party if builtin else third_party).append(candidate)
    if not include_third_party:
        return first_party
    return first_party + sorted(third_party, key=lambda c: (c.name, c.source))


def _installed_entry_points() -> list[EntryPointRow]:
    """
    ``(name, value, distribution, version)`` of every ``harmont.plugins`` entry point, as
    :func:`importlib.metadata.entry_points` finds them (one distribution per name, the
    first on ``sys.path``).
    """
    import importlib.metadata

    found: list[EntryPointRow] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        found.append(
            (
                entry_point.name,
                entry_point.value,
                dist.name if dist is not None else None,
                dist.version if dist is not None else None,
            )
        )
    return found


def user_plugin_dir(env: Mapping[str, str]) -> Path:
    """Return ``~/.harmont/plugins``, where `hm plugin install` puts native libraries."""
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".harmont" / "plugins"


def native_dirs(*, env: Mapping[str, str], project_root: Path) -> list[Path]:
    """
    Return the native plugin directories in search order.

    The user directory, then the project's ``.harmont/plugins``, then every entry of
    ``HM_PLUGIN_PATH`` (``os.pathsep``-separated; empty entries are ignored).
    """
    dirs = [user_plugin_dir(env), project_root / ".harmont" / "plugins"]
    dirs.extend(Path(p) for p in env.get("HM_PLUGIN_PATH", "").split(os.pathsep) if p)
    return dirs


def native_candidates(dirs: Iterable[Path]) -> list[Candidate]:
    """
    Return the native libraries in ``dirs``: non-recursive, sorted by name per directory.

    A missing directory is skipped; a file reachable through two directories is listed
    once, under the first.
    """
    seen: set[Path] = set()
    found: list[Candidate] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            resolved = path.resolve()
            if path.suffix != NATIVE_SUFFIX or not path.is_file() or resolved in seen:
                continue
            seen.add(resolved)
            found.append(Candidate(name=path.stem, kind="native", source=str(path), path=path))
    return found
