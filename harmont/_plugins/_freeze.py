"""
`hm plugin freeze` and `hm plugin sync`: the installed plugin set, kept and installed again.

A set is what `hm plugin list` shows minus what ships with harmont: the distributions
behind third-party Python plugins and the libraries in ``~/.harmont/plugins`` (those of a
project's ``.harmont/plugins`` and ``HM_PLUGIN_PATH`` belong to the project or the shell,
not to the environment). Freezing reads only what was recorded at install time and never
guesses: pip records the digest of a wheel or URL it installed (PEP 610), not of one it
took from an index, so such an entry has no ``sha256``; `hm plugin install` records where a
native library came from. A set is committed and shared, so a URL goes into it without
the parts that may hold a credential.

Syncing installs what is missing or different and checks every digest before anything
is installed: native libraries are fetched, hashed and loaded in a worker first, pip runs
in hash-checking mode over the entries that have a digest (without their dependencies,
which the set does not pin), then plainly to resolve the dependencies and install the
entries without one, then the libraries are put in place, then (``exact``) what the set
does not name is removed.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import urllib.parse
import urllib.request
from importlib.metadata import distribution
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import PluginLoadError, UsageError
from harmont._plugins._discovery import FIRST_PARTY_DISTRIBUTION, NATIVE_SUFFIX, user_plugin_dir
from harmont._plugins._install import (
    Removal,
    check_native,
    native_origin,
    place_native,
    plan_removal,
    read_source,
    remove_plugin,
    run_pip,
)
from harmont._plugins._plugin_set import NativePin, PluginSet, PythonPin, normalise_distribution
from harmont._settings import line_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from harmont._plugins._manager import PluginInfo

#: What pip prints when a file does not match its ``--hash`` (pip 20 to 24 alike).
_PIP_HASH_MISMATCH: Final = "DO NOT MATCH THE HASHES"

__all__ = ["SyncPlan", "freeze_plugins", "plan_sync", "sync_plugins"]


def freeze_plugins(
    plugins: Sequence[PluginInfo], *, env: Mapping[str, str], warn: Callable[[str], None]
) -> PluginSet:
    """
    The plugin set of the environment whose listing is ``plugins`` (`hm plugin list`).

    :param warn: told, in one line, of each native library whose origin is unknown.
    """
    names = {p.distribution for p in plugins if p.kind == "python" and not p.builtin}
    python = []
    for name in sorted(n for n in names if n is not None):
        pin = _python_pin(name)
        if pin.url is not None:
            pin = attrs.evolve(pin, url=_public(pin.url, f"python distribution '{pin.name}'", warn))
        python.append(pin)
    native = []
    for library in _user_libraries(plugins, env):
        origin = native_origin(library)
        if origin is None:
            warn(
                f"native plugin '{library.stem}': {library} was not installed by "
                "`hm plugin install`, so the set records no source to sync it from"
            )
        native.append(
            NativePin(
                name=library.stem,
                sha256=hashlib.sha256(library.read_bytes()).hexdigest(),
                source=None
                if origin is None
                else _public(origin.source, f"native plugin '{library.stem}'", warn),
            )
        )
    return PluginSet(python=tuple(python), native=tuple(native))


def _public(url: str, what: str, warn: Callable[[str], None]) -> str:
    """
    ``url`` without its user name and query string, telling ``warn`` when it had either.

    A set is committed and shared, and those are where a URL carries a credential (a
    ``user:token@``, a presigned URL's signature, ``?token=``); a path or a ``file:`` URL
    has no host, so it is kept as it is.
    """
    parts = urllib.parse.urlsplit(url)
    if not parts.netloc or ("@" not in parts.netloc and not parts.query):
        return url
    public = parts._replace(netloc=parts.netloc.rpartition("@")[2], query="").geturl()
    warn(
        f"{what}: the set leaves out the user name and query string of {public}, which may "
        "hold credentials; add back by hand what the download needs"
    )
    return public


@attrs.frozen(kw_only=True)
class SyncPlan:
    """What a sync does, worked out before anything is touched (and all of a dry run)."""

    python: tuple[PythonPin, ...]
    native: tuple[NativePin, ...]
    #: With ``exact``: the installed plugins the set does not name.
    removals: tuple[Removal, ...]
    #: Entries of the set that are installed as they are pinned already.
    unchanged: tuple[str, ...]

    def describe(self) -> list[str]:
        """One line per change, in the order :func:`sync_plugins` makes them."""
        lines = [f"install python {_shown(pin)}" for pin in self.python]
        lines += [f"install native {pin.name} from {pin.source}" for pin in self.native]
        for removal in self.removals:
            what = removal.distribution if removal.kind == "python" else removal.path
            lines.append(f"remove {removal.kind} {what} (plugins: {', '.join(removal.plugins)})")
        return lines


def plan_sync(
    path: Path,
    wanted: PluginSet,
    plugins: Sequence[PluginInfo],
    *,
    env: Mapping[str, str],
    exact: bool,
) -> SyncPlan:
    """
    Compare the set read from ``path`` with what is installed (``plugins``, as listed).

    An entry whose version and digest (or URL) match the installed one is left alone.

    :raises UsageError: a set that names harmont itself, or a library with no source
        that is not installed as pinned.
    """
    current = freeze_plugins(plugins, env=env, warn=lambda _: None)
    installed_python = {pin.name: pin for pin in current.python}
    installed_native = {pin.name: pin for pin in current.native}
    python, native, unchanged = [], [], []
    for pin in wanted.python:
        if pin.name == FIRST_PARTY_DISTRIBUTION:
            raise UsageError(
                f"{_where(path, 'python', pin.name)}: harmont itself is not a plugin",
                hint="remove the entry; sync installs into the harmont that runs it",
            )
        if _satisfied(pin, installed_python.get(pin.name)):
            unchanged.append(pin.name)
        else:
            python.append(pin)
    for native_pin in wanted.native:
        have = installed_native.get(native_pin.name)
        if have is not None and have.sha256 == native_pin.sha256:
            unchanged.append(native_pin.name)
            continue
        if native_pin.source is None:
            raise UsageError(
                f"{_where(path, 'native', native_pin.name)}: no source to install it from",
                hint='add source = "PATH or https URL" of the library with this sha256',
            )
        native.append(native_pin)
    removals: list[Removal] = []
    if exact:
        gone = {pin.name for pin in current.python} - {pin.name for pin in wanted.python}
        gone |= {pin.name for pin in current.native} - {pin.name for pin in wanted.native}
        for info in plugins:
            # A distribution goes once, with all its plugins; a library is its plugin.
            what = info.name if info.kind == "native" else info.distribution
            key = normalise_distribution(what or "") if info.kind == "python" else what
            if not info.builtin and key in gone:
                removals.append(plan_removal(info.name, list(plugins)))
                gone.discard(key)
    return SyncPlan(
        python=tuple(python),
        native=tuple(native),
        removals=tuple(removals),
        unchanged=tuple(sorted(unchanged)),
    )


def sync_plugins(
    path: Path,
    plan: SyncPlan,
    *,
    progress: Callable[[str], None],
    pip_output: Callable[[str], None],
    verbose: bool,
) -> None:
    """
    Carry out ``plan`` (from the set in ``path``), every digest checked before a change.

    :param pip_output: where pip's output goes: line by line as pip runs with
        ``verbose``, otherwise all of it only if pip fails.

    :raises UsageError: a digest that does not match (naming the file, line and entry).
    :raises PluginLoadError: a library hm cannot load, a failed download or pip run.
    """
    with tempfile.TemporaryDirectory(prefix="hm-sync-") as tmp:
        staged = [_stage_native(path, pin, Path(tmp)) for pin in plan.native]
        for pin in plan.python:
            _check_local_archive(path, pin)
        for pin in plan.python:
            progress(f"installing python {_shown(pin)}...")
        hashed = [pin for pin in plan.python if pin.sha256 is not None]
        # A set pins plugins, not what they require, and pip's hash-checking mode refuses
        # any requirement without a digest: the pinned distributions go in alone, checked,
        # then one plain run resolves every plugin's dependencies (a pinned one is
        # installed by then, so its ``name==version`` is satisfied as it stands).
        if hashed:
            pinned = _requirements(Path(tmp) / "hashed.txt", map(_requirement, hashed))
            _pip_install(
                path,
                ["install", "--no-deps", "--require-hashes", "-r", pinned],
                pip_output,
                verbose,
            )
        if plan.python:
            lines = [
                _requirement(pin) if pin.sha256 is None else f"{pin.name}=={pin.version}"
                for pin in plan.python
            ]
            _pip_install(
                path,
                ["install", "-r", _requirements(Path(tmp) / "all.txt", lines)],
                pip_output,
                verbose,
            )
        for native, library in zip(plan.native, staged, strict=True):
            progress(f"installing native {native.name} from {native.source}")
            assert native.source is not None  # plan_sync refuses a native without one
            place_native(library, name=native.name, origin=native.source)
    for removal in plan.removals:
        progress(f"removing {removal.kind} {', '.join(removal.plugins)}")
        remove_plugin(removal)


def _pip_install(path: Path, args: list[str], output: Callable[[str], None], live: bool) -> None:
    """
    Run pip; a digest pip refused is reported as hm reports its own: exit 2.

    pip checks every digest before it installs anything, so nothing is half-installed.
    Its output is read whether it is shown as it comes (``live``) or only on failure, so
    the exit status does not depend on ``-v``.
    """
    refused: list[bool] = []

    def read(text: str) -> None:
        refused.append(_PIP_HASH_MISMATCH in text)
        output(text)

    try:
        run_pip(args, shown=str(path), output=None if live else read, live=read if live else None)
    except PluginLoadError:
        if any(refused):
            raise UsageError(
                f"{path}: pip found a distribution whose SHA-256 is not the one the set pins "
                "(pip's report is above); nothing was installed",
                hint="the index or file changed since the set was frozen; freeze the set again",
            ) from None
        raise


def _python_pin(name: str) -> PythonPin:
    """A distribution as pip installed it: its version, and its PEP 610 record if any."""
    dist = distribution(name)
    pin = PythonPin(name=normalise_distribution(name), version=dist.version)
    try:
        record = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("url"), str):
        return pin  # from an index (or a find-links directory): pip kept no digest
    url: str = record["url"]
    if isinstance(archive := record.get("archive_info"), dict):
        hashes = archive.get("hashes")
        legacy = str(archive.get("hash", ""))
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        sha256 = sha256 or (legacy[len("sha256=") :] if legacy.startswith("sha256=") else None)
        # A file pip took from a temporary download (an https `hm plugin install`) is gone:
        # the digest still finds the same wheel on an index or a find-links directory.
        kept = not url.startswith("file:") or _file_of(url).is_file()
        return attrs.evolve(pin, sha256=sha256, url=url if kept else None)
    if isinstance(vcs := record.get("vcs_info"), dict):
        commit = vcs.get("commit_id")
        return attrs.evolve(pin, url=f"{vcs.get('vcs', 'git')}+{url}@{commit}" if commit else url)
    info = record.get("dir_info")
    editable = isinstance(info, dict) and info.get("editable") is True
    return attrs.evolve(pin, url=url, editable=editable)


def _user_libraries(plugins: Iterable[PluginInfo], env: Mapping[str, str]) -> list[Path]:
    """The libraries of ``~/.harmont/plugins`` among ``plugins``, by name."""
    directory = user_plugin_dir(env)
    libraries = {
        Path(p.source) for p in plugins if p.kind == "native" and Path(p.source).parent == directory
    }
    return sorted((p for p in libraries if p.suffix == NATIVE_SUFFIX), key=lambda p: p.stem)


def _satisfied(pin: PythonPin, installed: PythonPin | None) -> bool:
    if installed is None or installed.version != pin.version:
        return False
    if pin.sha256 is not None:
        return installed.sha256 == pin.sha256
    return pin.url is None or (installed.url, installed.editable) == (pin.url, pin.editable)


def _stage_native(path: Path, pin: NativePin, directory: Path) -> Path:
    """Fetch ``pin``'s library, check its digest and load it in a worker; return the copy."""
    assert pin.source is not None  # plan_sync refuses a pin without one
    where = _where(path, "native", pin.name)
    data = _fetch(where, pin.source, pin.sha256)
    library = directory / f"{pin.name}{NATIVE_SUFFIX}"
    library.write_bytes(data)
    name = check_native(library, shown=pin.source)
    if name != pin.name:
        raise UsageError(
            f"{where}: {pin.source} is the plugin '{name}', not '{pin.name}'",
            hint=f"rename the entry to [native.{name}], or point source at '{pin.name}'",
        )
    return library


def _check_local_archive(path: Path, pin: PythonPin) -> None:
    """A pinned local wheel is checked here, so its mismatch reads as a native one's does."""
    if pin.sha256 is None or pin.url is None or not pin.url.startswith("file:"):
        return
    _fetch(_where(path, "python", pin.name), str(_file_of(pin.url)), pin.sha256)


def _fetch(where: str, source: str, expected: str) -> bytes:
    """The bytes of ``source`` (a file or an https URL), if their SHA-256 is ``expected``."""
    try:
        data = read_source(source)
    except (PluginLoadError, UsageError) as exc:
        raise UsageError(
            f"{where}: {exc.message}", hint=exc.hint or "restore the file, or freeze the set again"
        ) from exc
    _check_digest(where, source, data, expected)
    return data


def _check_digest(where: str, source: str, data: bytes, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise UsageError(
            f"{where}: SHA-256 mismatch: the set pins {expected}, {source} has {actual}",
            hint="the file changed since the set was frozen; restore it, or freeze the set again",
        )


def _requirements(path: Path, lines: Iterable[str]) -> str:
    """Write a pip requirements file of ``lines`` at ``path``; return its path, for ``-r``."""
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def _requirement(pin: PythonPin) -> str:
    """``pin`` as a line of a pip requirements file."""
    if pin.editable:
        return f"-e {pin.url}"
    line = f"{pin.name} @ {pin.url}" if pin.url is not None else f"{pin.name}=={pin.version}"
    return line if pin.sha256 is None else f"{line} --hash=sha256:{pin.sha256}"


def _shown(pin: PythonPin) -> str:
    digest = f"sha256 {pin.sha256[:12]}..." if pin.sha256 is not None else "sha256 unknown"
    return f"{pin.name} {pin.version} ({digest})"


def _file_of(url: str) -> Path:
    return Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


def _where(path: Path, kind: str, name: str) -> str:
    """``FILE:LINE: kind.name`` of an entry of the set in ``path``, at its pin's line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    line = next(
        (found for key in ("sha256", "version") if (found := line_of(text, (kind, name, key)))),
        None,
    )
    place = f"{path}:{line}" if line is not None else str(path)
    return f"{place}: {kind}.{name}"
