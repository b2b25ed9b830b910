"""
Installing and removing plugins: `hm plugin install` and `hm plugin remove` as library calls.

Python plugins are distributions, so pip installs and uninstalls them into the running
interpreter. Native libraries are single files under ``~/.harmont/plugins/``, named for
their manifest; each is loaded in a worker process and its manifest validated before it is
copied there, so a library hm cannot load is never installed; a file that is no shared
library at all is refused first, saying why (:mod:`~harmont._plugins._shared_library`).
Beside each library, ``<name>.origin.json`` keeps where it was installed from and its
SHA-256, which the library itself cannot say: `hm plugin freeze` writes both into a
plugin set, and `hm plugin sync` fetches the library from there again.

pip's own output is shown only when pip fails (or when asked for). A distribution that
declares no harmont plugin is uninstalled again: `hm plugin install` never leaves behind
something that is not a plugin.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import attrs

from harmont._errors import PluginLoadError, UsageError
from harmont._plugins._discovery import NATIVE_SUFFIX, entry_point_candidates, user_plugin_dir

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._plugins._manager import PluginInfo

#: Receives pip's output when pip fails; None lets pip write to the terminal as it runs.
PipOutput: TypeAlias = "Callable[[str], None] | None"
#: Told, in one line, what is about to take a while (pip resolving and installing).
Progress: TypeAlias = "Callable[[str], None] | None"

__all__ = [
    "Installed",
    "NativeOrigin",
    "PipOutput",
    "Progress",
    "Removal",
    "check_native",
    "install_plugin",
    "native_origin",
    "place_native",
    "plan_removal",
    "read_source",
    "remove_plugin",
    "run_pip",
]

#: Suffixes pip installs from a file: a wheel or an sdist.
_PIP_FILE_SUFFIXES: Final = (".whl", ".tar.gz", ".zip")
#: Native library suffixes of every platform, so a ``.dylib`` is refused clearly on Linux.
_NATIVE_SUFFIXES: Final = frozenset({".so", ".dylib", ".dll", NATIVE_SUFFIX})
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
#: A download larger than this is refused rather than held in memory.
_MAX_DOWNLOAD_BYTES: Final = 512 * 1024 * 1024
_DOWNLOAD_TIMEOUT_S: Final = 60.0
#: Beside ``<name>.so``: where the library came from (see :class:`NativeOrigin`).
_ORIGIN_SUFFIX: Final = ".origin.json"


@attrs.frozen(kw_only=True)
class Installed:
    """What `hm plugin install` did: the pip target and the plugin names it added."""

    target: str
    #: Entry-point names under ``harmont.plugins`` that were new or changed.
    plugins: tuple[str, ...]


@attrs.frozen(kw_only=True)
class NativeOrigin:
    """Where an installed native library was copied from, and the SHA-256 it had then."""

    #: An ``https://`` URL or an absolute file path.
    source: str
    sha256: str


@attrs.frozen(kw_only=True)
class Removal:
    """
    What removing a plugin will delete, computed before anything is touched.

    A distribution can declare several plugins; ``plugins`` names all that go with it, so
    the confirmation prompt can say so.
    """

    name: str
    kind: Literal["python", "native"]
    #: The distribution pip uninstalls (Python plugins).
    distribution: str | None = None
    #: The library file deleted (native plugins).
    path: Path | None = None
    plugins: tuple[str, ...] = ()


def install_plugin(
    source: str,
    *,
    pin: str | None = None,
    pip_output: PipOutput = None,
    progress: Progress = None,
) -> Installed:
    """
    Install the plugin named by ``source`` into the running interpreter.

    ``source`` is a distribution requirement (``hm-junit``, ``hm-junit==0.1``), a wheel,
    an sdist, a project directory, a native library, or an ``https://`` URL of one of
    the files (then ``pin``, its SHA-256, is mandatory). A pin given for a local file is
    checked too.

    :param pip_output: where pip's output goes if pip fails (it is dropped if pip
        succeeds); None: pip writes to this process's stdout and stderr as it runs.
    :param progress: told ``installing SOURCE with pip...`` before pip runs.
    :raises UsageError: a plain ``http://`` URL, a missing pin or file, a malformed pin;
        a distribution that declares no harmont plugin (uninstalled again).
    :raises PluginLoadError: an invalid native library, a pin mismatch, a failed download or
        pip run.
    """
    expected = _normalise_pin(pin) if pin is not None else None
    _refuse_plain_http(source, hint="use an https:// URL with --pin <sha256>, or a local file path")
    if source.startswith("https://"):
        if expected is None:
            raise UsageError(
                f"plugin source '{source}': --pin <sha256> is required for https:// sources"
            )
        filename = Path(urllib.parse.urlparse(source).path).name
        _check_platform(filename)
        data = read_source(source)
        _check_pin(source, data, expected)
        with tempfile.TemporaryDirectory(prefix="hm-plugin-") as tmp:
            local = Path(tmp) / (filename or "plugin")
            local.write_bytes(data)
            if local.suffix == NATIVE_SUFFIX:
                return _install_native(local, shown=source, origin=source)
            return _pip_install(str(local), shown=source, output=pip_output, progress=progress)

    path = Path(source)
    if path.exists():
        _check_platform(path.name)
        if path.is_file():
            if not path.name.endswith((*_PIP_FILE_SUFFIXES, NATIVE_SUFFIX)):
                raise UsageError(
                    f"plugin source '{source}': not a wheel, an sdist or a native library",
                    hint="pass a distribution name, a .whl, a .tar.gz, or a project directory",
                )
            if expected is not None:
                _check_pin(source, path.read_bytes(), expected)
            if path.suffix == NATIVE_SUFFIX:
                return _install_native(path, shown=source, origin=str(path.absolute()))
        elif expected is not None:
            raise UsageError(f"plugin source '{source}': --pin needs a file, not a directory")
        return _pip_install(str(path.resolve()), shown=source, output=pip_output, progress=progress)
    if "/" in source or source.startswith(".") or path.suffix in _NATIVE_SUFFIXES:
        raise UsageError(f"plugin source '{source}': no file at {path}")
    if expected is not None:
        raise UsageError(f"plugin source '{source}': --pin applies to files and https URLs")
    return _pip_install(source, shown=source, output=pip_output, progress=progress)


def plan_removal(name: str, plugins: list[PluginInfo]) -> Removal:
    """
    Work out what removing the plugin ``name`` deletes, without deleting anything.

    :raises UsageError: no such plugin, or a plugin built into harmont.
    """
    info = next((p for p in plugins if p.name == name), None)
    if info is None:
        known = ", ".join(sorted(p.name for p in plugins)) or "none"
        raise UsageError(f"no plugin named '{name}' is installed (installed: {known})")
    if info.builtin:
        raise UsageError(
            f"plugin '{name}' is built into harmont and cannot be removed",
            hint=f"disable it with `hm -p no:{name} ...` or HM_DISABLE_PLUGINS={name}",
        )
    if info.kind == "native":
        return Removal(name=name, kind="native", path=Path(info.source), plugins=(name,))
    if info.distribution is None:
        raise UsageError(f"plugin '{name}' has no installed distribution to remove")
    siblings = tuple(sorted(p.name for p in plugins if p.distribution == info.distribution))
    return Removal(name=name, kind="python", distribution=info.distribution, plugins=siblings)


def remove_plugin(removal: Removal) -> None:
    """
    Carry out ``removal``: pip-uninstall the distribution or delete the library file.

    :raises PluginLoadError: pip failed or the file could not be deleted.
    """
    if removal.path is not None:
        try:
            removal.path.with_name(f"{removal.path.stem}{_ORIGIN_SUFFIX}").unlink(missing_ok=True)
            removal.path.unlink()
        except OSError as exc:
            raise PluginLoadError(
                f"plugin '{removal.name}': cannot delete {removal.path}: {exc.strerror}",
                plugin=removal.name,
                source=str(removal.path),
            ) from exc
        return
    assert removal.distribution is not None  # plan_removal sets one of the two
    command = [sys.executable, "-m", "pip", "uninstall", "--yes", removal.distribution]
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        raise PluginLoadError(
            f"plugin '{removal.name}': pip could not uninstall '{removal.distribution}' "
            f"(exit status {status})",
            plugin=removal.name,
        )


def _normalise_pin(pin: str) -> str:
    normalised = pin.strip().lower()
    if not _SHA256_HEX.fullmatch(normalised):
        raise UsageError(f"--pin must be 64 hexadecimal digits (a SHA-256), got '{pin}'")
    return normalised


def _check_pin(source: str, data: bytes, expected: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise PluginLoadError(
            f"plugin source '{source}': SHA-256 mismatch: expected {expected}, got {actual}",
            source=source,
            hint="the file changed or the pin is wrong; check where the pin came from",
        )


def _check_platform(filename: str) -> None:
    suffix = Path(filename).suffix
    if suffix in _NATIVE_SUFFIXES and suffix != NATIVE_SUFFIX:
        raise PluginLoadError(
            f"native plugin '{filename}': a {suffix} library cannot load on this platform",
            source=filename,
            hint=f"install the {NATIVE_SUFFIX} build of the plugin",
        )


def read_source(source: str) -> bytes:
    """
    The bytes of ``source``: an ``https://`` URL, downloaded, or a local file.

    :raises UsageError: a plain ``http://`` URL.
    :raises PluginLoadError: a failed download, a file that cannot be read.
    """
    _refuse_plain_http(source, hint="use an https:// URL, or a local file path")
    if source.startswith("https://"):
        return _download(source)
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise PluginLoadError(
            f"plugin source '{source}': cannot read it: {exc.strerror}", source=source
        ) from exc


def _refuse_plain_http(source: str, *, hint: str) -> None:
    """An ``http://`` source would be read as a file path, or fetched where it can be forged."""
    if source.startswith("http://"):
        raise UsageError(f"plugin source '{source}': plain http:// is not allowed", hint=hint)


def native_origin(library: Path) -> NativeOrigin | None:
    """
    Where the installed ``library`` was installed from; None if hm did not record it.

    A library copied into the plugin directory by hand, or replaced since, has no
    origin: the recorded one is returned only while the file still has its SHA-256.
    """
    try:
        record = json.loads(library.with_name(f"{library.stem}{_ORIGIN_SUFFIX}").read_text())
        origin = NativeOrigin(source=str(record["source"]), sha256=str(record["sha256"]))
        actual = hashlib.sha256(library.read_bytes()).hexdigest()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return origin if origin.sha256 == actual else None


def check_native(library: Path, *, shown: str) -> str:
    """
    Validate the native library file ``library`` as `hm plugin install` would; return its name.

    The manifest's name is a plain word (validation checks it), so the library's place in
    the plugin directory stays inside it; a name hm itself uses is refused, or the library
    would lose to the built-in at every load and `hm plugin remove NAME` would find the
    built-in.

    :raises PluginLoadError: not a shared library, an invalid manifest, a reserved name.
    """
    from harmont._plugins._manager import BUILTIN_VERBS
    from harmont._plugins._native import validate_native
    from harmont._plugins._shared_library import shared_library_problem

    problem = shared_library_problem(library) if NATIVE_SUFFIX == ".so" else None
    if problem is not None:
        raise PluginLoadError(
            f"native plugin '{shown}': not a valid shared library: {problem}",
            source=shown,
            hint="build it as a shared library (crate-type cdylib, or cc -shared -fPIC)",
        )
    manifest = validate_native(library, source=shown)
    builtin_plugins = {c.name for c in entry_point_candidates(include_third_party=False)}
    for reserved, what in ((builtin_plugins, "a built-in plugin"), (BUILTIN_VERBS, "a command")):
        if manifest.name.casefold() in {name.casefold() for name in reserved}:
            raise PluginLoadError(
                f"native plugin '{manifest.name}' ({shown}): the name is taken by {what} of hm",
                plugin=manifest.name,
                source=shown,
                hint="rename the plugin in its manifest",
            )
    return manifest.name


def place_native(library: Path, *, name: str, origin: str) -> Installed:
    """
    Copy the library :func:`check_native` accepted as ``name`` to ``~/.harmont/plugins``.

    ``origin`` (a URL or an absolute path) is recorded beside it with the file's SHA-256.
    """
    directory = user_plugin_dir(os.environ)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}{NATIVE_SUFFIX}"
    data = library.read_bytes()
    record = {"source": origin, "sha256": hashlib.sha256(data).hexdigest()}
    # Write then rename: a half-written library or record is never in the plugin directory.
    for path, content in (
        (target.with_name(f"{name}{_ORIGIN_SUFFIX}"), json.dumps(record).encode()),
        (target, data),
    ):
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(content)
        partial.replace(path)
    return Installed(target=str(target), plugins=(name,))


def _install_native(library: Path, *, shown: str, origin: str) -> Installed:
    """Validate a native library, then copy it to ``~/.harmont/plugins/<name><suffix>``."""
    # The very file that is copied is the one validated, never one dlopen finds elsewhere.
    library = library.absolute()
    return place_native(library, name=check_native(library, shown=shown), origin=origin)


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response:
            data: bytes = response.read(_MAX_DOWNLOAD_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PluginLoadError(f"plugin source '{url}': download failed: {reason}") from exc
    if len(data) > _MAX_DOWNLOAD_BYTES:
        raise PluginLoadError(
            f"plugin source '{url}': larger than {_MAX_DOWNLOAD_BYTES // (1024 * 1024)} MiB"
        )
    return data


def _pip_install(target: str, *, shown: str, output: PipOutput, progress: Progress) -> Installed:
    if progress is not None:
        progress(f"installing {shown} with pip...")
    before, distributions = _entry_point_values(), _distributions()
    with tempfile.TemporaryDirectory(prefix="hm-pip-") as tmp:
        report = Path(tmp) / "report.json"
        run_pip(["install", "--report", str(report), target], shown=shown, output=output)
        # Only what pip (re)installed for this source: the distributions to roll back.
        requested = [
            item["metadata"]["name"]
            for item in json.loads(report.read_text())["install"]
            if item.get("requested")
        ]
    importlib.invalidate_caches()
    after = _entry_point_values()
    added = tuple(sorted(name for name, value in after.items() if before.get(name) != value))
    if added or not requested or _declares_plugins(requested):
        return Installed(target=shown, plugins=added)
    new = sorted(set(_distributions()) - set(distributions))
    if new:
        run_pip(["uninstall", "--yes", *new], shown=shown, output=output)
    names = ", ".join(f"'{name}'" for name in requested)
    raise UsageError(
        f"plugin source '{shown}': {names} declares no harmont plugin; uninstalled it again",
        hint='a plugin declares an entry point in group "harmont.plugins" '
        '([project.entry-points."harmont.plugins"] in pyproject.toml)',
    )


def run_pip(
    args: list[str], *, shown: str, output: PipOutput, live: Callable[[str], None] | None = None
) -> None:
    """
    Run pip with *args*, its output kept for *output* (see :func:`install_plugin`).

    :param live: given instead of ``output``: each line of pip's output as pip writes it,
        for a caller that shows pip's output and reads it too (pip writes to a pipe then,
        so it draws no progress bar).
    """
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    if live is not None:
        with subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        ) as process:
            assert process.stdout is not None  # stdout=PIPE
            for line in process.stdout:
                live(line)
        status = process.returncode
    elif output is None:
        status = subprocess.run(command, check=False).returncode
    else:
        done = subprocess.run(
            command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        status = done.returncode
        if status != 0:
            output(done.stdout)
    if status != 0:
        raise PluginLoadError(
            f"plugin source '{shown}': pip {args[0]} failed (exit status {status})",
            source=shown,
        )


def _distributions() -> dict[str, str]:
    """Every installed distribution's normalised name, with its version."""
    from importlib.metadata import distributions

    from harmont._plugins._plugin_set import normalise_distribution

    return {
        normalise_distribution(dist.metadata["Name"]): dist.version
        for dist in distributions()
        if dist.metadata["Name"]
    }


def _declares_plugins(names: list[str]) -> bool:
    """Whether any of the distributions *names* declares a ``harmont.plugins`` entry point."""
    from importlib.metadata import PackageNotFoundError, distribution

    for name in names:
        try:
            points = distribution(name).entry_points
        except PackageNotFoundError:
            continue
        if any(point.group == "harmont.plugins" for point in points):
            return True
    return False


def _entry_point_values() -> dict[str, str]:
    return {c.name: c.source for c in entry_point_candidates() if not c.builtin}
