"""
What `hm plugin check` checks, loaded the way a build would load it.

Three forms name a plugin, each loaded by the code that loads it for a build, so the check
exercises what `hm run` will meet: an installed plugin's NAME (the whole registry is
loaded, as for a build, and only that plugin is called), a native library FILE (opened in
a worker process, as `hm plugin install` validates one), or a Python FILE.py, optionally
``FILE.py:ATTR`` naming the plugin object in it (a class is instantiated once, as for an
entry point; without ATTR the module itself is the plugin).

Native libraries always run isolated here, whatever the settings say: a library that
crashes or hangs must fail a check, not end `hm`. A Python plugin runs in `hm`'s process,
as in a build: a raise or a hang fails a check, a plugin that kills the process cannot be
contained.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import PluginLoadError, PluginRuntimeError, UsageError
from harmont._plugins._discovery import NATIVE_SUFFIX, PluginKind
from harmont._plugins._dispatch import (
    MANIFEST_TIMEOUT_MS,
    Interrupted,
    call_with_timeout,
    real_interrupt,
)
from harmont._plugins._manager import PluginStatus, Registry, load_registry
from harmont._plugins._manifest import is_plugin_name
from harmont.protocol import PluginManifest

if TYPE_CHECKING:
    from types import ModuleType

    from harmont._plugins._host import Host

__all__ = ["Subject", "open_subject"]

_FORMS: Final = (
    "an installed plugin's name, a native library (.so) or a Python file (FILE.py[:ATTR])"
)


@attrs.frozen(kw_only=True)
class Subject:
    """
    The plugin under check, loaded or not.

    ``manifest`` is None when it did not load; ``load_error`` then says why, which is the
    manifest check's failure. ``load_seconds`` is how long loading took.
    """

    registry: Registry
    source: str
    kind: PluginKind
    load_seconds: float
    manifest: PluginManifest | None = None
    load_error: str | None = None
    #: Releases what loading started (a native plugin's worker) beyond the registry.
    release: Callable[[], None] = lambda: None

    def close(self) -> None:
        """Stop every worker the subject started."""
        self.release()
        self.registry.close()


def open_subject(target: str, *, host: Host) -> Subject:
    """
    Load *target* (see the module docstring) into a registry talking to *host*.

    :raises UsageError: *target* names no installed plugin, or a file that cannot be read
        or is of no plugin kind (exit 2).
    :raises PluginConflict: *target* is a name and the installed plugins conflict (exit 5).
    """
    file, colon, attr = target.rpartition(":")
    if not colon or not file.endswith(".py"):
        file, attr = target, ""
    path = Path(file)
    if path.suffix == NATIVE_SUFFIX and not attr:
        return _open_native(_readable(path, file), host=host)
    if path.suffix == ".py":
        return _open_python(_readable(path, file), attr, target, host=host)
    if is_plugin_name(target):
        return _open_installed(target, host=host)
    raise UsageError(f"cannot check '{target}': it is not {_FORMS}", hint=_FORMS_HINT)


_FORMS_HINT: Final = (
    "`hm plugin list` shows the installed plugins' names; a file must end in "
    f"{NATIVE_SUFFIX} or .py"
)


def _readable(path: Path, target: str) -> Path:
    """*path*, absolute, if it is a regular file this process can read."""
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot read '{target}': {exc.strerror or exc}", hint="give the path of a plugin file"
        ) from exc
    if not path.is_file():
        raise UsageError(f"cannot check '{target}': not a regular file", hint=_FORMS_HINT)
    return path.absolute()


def _open_installed(name: str, *, host: Host) -> Subject:
    """The plugin *name* among every installed plugin, native ones isolated."""
    started = time.monotonic()
    env = {**os.environ, "HM_NATIVE_ISOLATION": "process"}
    registry = load_registry(host=host, env=env, project_root=Path.cwd())
    seconds = time.monotonic() - started
    info = next((p for p in registry.plugins() if p.name == name), None)
    if info is None or info.status is PluginStatus.DISABLED:
        registry.close()
        known = ", ".join(p.name for p in registry.plugins()) or "none"
        message = (
            f"plugin '{name}' is disabled" if info else f"no plugin named '{name}' is installed"
        )
        raise UsageError(message, hint=f"plugins: {known}; or give the path of a plugin file")
    return Subject(
        registry=registry,
        source=info.source,
        kind=info.kind,
        load_seconds=seconds,
        manifest=info.manifest,
        load_error=info.error,
    )


def _open_native(path: Path, *, host: Host) -> Subject:
    """The library at *path*, alone in a registry, in a worker process of its own."""
    from harmont._plugins._native import load_native

    def make() -> tuple[object, Callable[[], None]]:
        plugin = load_native(path, isolation="process")
        return plugin, plugin.close

    return _load_alone(str(path), "native", make, host=host)


def _open_python(path: Path, attr: str, target: str, *, host: Host) -> Subject:
    """The plugin object of the Python file *path* (its ATTR, or the module), alone."""

    def make() -> tuple[object, Callable[[], None]]:
        # Bounded like a manifest: a module that loops at import is a failed check.
        plugin = call_with_timeout(
            lambda: _plugin_object(_import_file(path), attr),
            timeout_ms=MANIFEST_TIMEOUT_MS,
            plugin=target,
            capability="import",
        )
        return plugin, _nothing

    return _load_alone(target, "python", make, host=host)


def _load_alone(
    source: str,
    kind: PluginKind,
    make: Callable[[], tuple[object, Callable[[], None]]],
    *,
    host: Host,
) -> Subject:
    """
    The plugin *make* returns (with what releases it), alone in a registry: the registry's
    validation is the manifest check, and whatever loading raises fails it.
    """
    registry = Registry(host=host)
    started = time.monotonic()
    release = _nothing
    try:
        with real_interrupt():
            plugin, release = make()
            manifest = registry.register(plugin, source=source)
    except Interrupted:
        raise
    except (PluginLoadError, PluginRuntimeError) as exc:
        error = exc.message
    except BaseException as exc:  # a module that calls sys.exit() is broken, not hm's exit
        error = f"cannot load {source}: {type(exc).__name__}: {exc}"
    else:
        seconds = time.monotonic() - started
        return Subject(
            registry=registry,
            source=source,
            kind=kind,
            load_seconds=seconds,
            manifest=manifest,
            release=release,
        )
    release()
    seconds = time.monotonic() - started
    return Subject(
        registry=registry, source=source, kind=kind, load_seconds=seconds, load_error=error
    )


def _nothing() -> None:
    """What releases a plugin that holds nothing beyond the registry."""


def _import_file(path: Path) -> ModuleType:
    """
    Import *path* as a module of a name of its own (a file called ``json.py`` must not
    replace the standard library's); a package's ``__init__.py`` as a package, so that its
    relative imports work.
    """
    package = path.name == "__init__.py"
    name = f"_hm_check_{path.parent.name if package else path.stem}"
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None
    )
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"cannot import {path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _plugin_object(module: ModuleType, attr: str) -> object:
    """``module.attr`` (a class instantiated once, as for an entry point), or the module."""
    if not attr:
        return module
    found: object = module
    for part in attr.split("."):
        if not hasattr(found, part):
            raise PluginLoadError(f"{module.__file__} has no attribute '{attr}'")
        found = getattr(found, part)
    return found() if isinstance(found, type) else found
