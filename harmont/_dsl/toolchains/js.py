"""
``hm.js`` (alias ``hm.ts``): JavaScript and TypeScript projects on Node, Bun or Deno.

A project is a runtime (``node``, ``bun`` or ``deno``) and a package manager (``npm``,
``pnpm``, ``yarn-classic``, ``yarn-berry`` or ``bun``; Deno manages its own dependencies).
Both are read from the project when not given: ``package.json``'s ``engines`` and
``packageManager`` fields first, then which lock file is there. pnpm and yarn come in through
corepack, pinned to the ``packageManager`` version when there is one.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._dsl._cache import CacheForever, CacheOnChange
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import install_chain, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping

    from harmont._dsl._cache import CachePolicy

__all__ = ["JsProject", "detect", "js", "ts"]

_RUNTIMES: Final = ("node", "bun", "deno")
_PACKAGE_MANAGERS: Final = ("npm", "pnpm", "yarn-classic", "yarn-berry", "bun")


@attrs.frozen
class _Manager:
    """How a package manager installs locked dependencies and runs a script."""

    lock: str
    install: str
    run: str


_MANAGERS: Final = {
    "npm": _Manager(lock="package-lock.json", install="npm ci", run="npm run"),
    "pnpm": _Manager(
        lock="pnpm-lock.yaml", install="pnpm install --frozen-lockfile", run="pnpm run"
    ),
    "yarn-classic": _Manager(
        lock="yarn.lock", install="yarn install --frozen-lockfile", run="yarn run"
    ),
    "yarn-berry": _Manager(lock="yarn.lock", install="yarn install --immutable", run="yarn run"),
    "bun": _Manager(lock="bun.lock", install="bun install --frozen-lockfile", run="bun run"),
    "deno": _Manager(lock="deno.lock", install="deno install", run="deno task"),
}

#: Lock files in the order they decide, with the (runtime, package manager) each implies.
_LOCKS: Final = (
    ("bun.lock", "bun", "bun"),
    ("bun.lockb", "bun", "bun"),
    ("pnpm-lock.yaml", None, "pnpm"),
    ("deno.lock", "deno", None),
    ("package-lock.json", None, "npm"),
    ("yarn.lock", None, "yarn-classic"),
)


@attrs.frozen
class Detected:
    """What a project's files say about its runtime, package manager and that one's version."""

    runtime: str | None = None
    manager: str | None = None
    manager_version: str | None = None


def _from_package_json(manifest: Mapping[str, Any]) -> Detected:
    runtime = manager = version = None
    engines = manifest.get("engines")
    if isinstance(engines, dict):
        runtime = next((name for name in ("bun", "deno", "node") if name in engines), None)
        manager = "bun" if runtime == "bun" else None
    declared = manifest.get("packageManager")
    if manager is None and isinstance(declared, str):
        name, *rest = declared.split("@")
        version = rest[0] if rest else ""
        if name == "yarn":
            manager = "yarn-berry" if _major(version) >= 2 else "yarn-classic"
        elif name in ("npm", "pnpm", "bun"):
            manager = name
        version = version if manager is not None and version else None
    return Detected(runtime=runtime, manager=manager, manager_version=version)


def _major(version: str) -> int:
    """The major version of ``version``; 1 (yarn classic) when it has none."""
    try:
        return int(version.split(".", maxsplit=1)[0])
    except ValueError:
        return 1


def _from_locks(names: set[str]) -> Detected:
    for lock, runtime, manager in _LOCKS:
        if lock in names:
            return Detected(runtime=runtime, manager=manager)
    return Detected()


def detect(path: str) -> Detected:
    """
    Read the runtime and package manager of the project in ``path``.

    ``package.json`` wins over lock files; a missing or unreadable one says nothing.
    """
    declared = Detected()
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads((Path(path) / "package.json").read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            declared = _from_package_json(loaded)
    locked = Detected()
    with contextlib.suppress(OSError):
        locked = _from_locks({entry.name for entry in Path(path).iterdir()})
    return Detected(
        runtime=declared.runtime or locked.runtime,
        manager=declared.manager or locked.manager,
        manager_version=declared.manager_version,
    )


@attrs.frozen
class JsProject:
    """
    A JS/TS project with its dependencies installed (``.installed``); ``run(script)`` runs a
    ``package.json`` script (a ``deno.json`` task on Deno) from there.
    """

    path: str
    installed: Step
    run_prefix: str
    tag: str

    def install(self) -> Step:
        """The dependency install step."""
        return self.installed

    def run(self, script: str, **options: Any) -> Step:
        """Run ``script`` with the project's package manager; other keywords go to ``Step.sh``."""
        command = f"cd {self.path} && {self.run_prefix} {script}"
        return self.installed.sh(command, **labelled(options, f":{self.tag}: {script}"))


def _node(version: str) -> str:
    return (
        f"curl -fsSL https://deb.nodesource.com/setup_{version.removesuffix('.x')}.x | bash - && "
        "apt-get install -y nodejs"
    )


def _bun(version: str | None) -> str:
    pinned = f' -s "bun-v{version}"' if version is not None else ""
    return f"curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash{pinned}"


def _deno(version: str | None) -> str:
    pinned = f' -s "v{version}"' if version is not None else ""
    return (
        f"curl -fsSL https://deno.land/install.sh | sh{pinned} && "
        "ln -sf $HOME/.deno/bin/deno /usr/local/bin/deno"
    )


def _bootstrap(manager: str, runtime: str, version: str | None) -> str | None:
    """The command that adds ``manager`` to ``runtime``, or ``None`` when it ships with it."""
    if manager == "npm" or (manager == "bun" and runtime == "bun"):
        return None
    if manager == "bun":
        return _bun(None)
    # corepack's own yarn is classic 1.x; a pinned packageManager picks berry explicitly.
    tool = "pnpm" if manager == "pnpm" else "yarn"
    if version is not None:
        return f"corepack enable {tool} && corepack install -g {tool}@{version}"
    return "corepack enable pnpm" if tool == "pnpm" else "corepack enable"


def _check_version(runtime: str, version: str | None) -> None:
    if version is None:
        return
    if not isinstance(version, str):
        raise TypeError(f"hm.js: version must be a string such as '22', got {version!r}")
    if runtime == "node":
        if re.fullmatch(r"\d+(\.x)?", version) is None:
            raise ValueError(
                f"hm.js: invalid Node version {version!r}; give a major version: '22' or '22.x'"
            )
    elif re.fullmatch(r"\d+\.\d+(\.\d+)?", version) is None:
        raise ValueError(
            f"hm.js: invalid {runtime} version {version!r}; write one like '1.2' or '1.2.3'"
        )


def _project(
    *,
    path: str,
    pm: str | None,
    runtime: str | None,
    version: str | None,
    image: str | None,
    base: Step | None,
) -> JsProject:
    if runtime is not None and runtime not in _RUNTIMES:
        raise ValueError(f"hm.js: unknown runtime {runtime!r}; use 'node', 'bun' or 'deno'")
    detected = detect(path) if runtime is None and pm is None else Detected()
    runtime = runtime or detected.runtime or "node"
    _check_version(runtime, version)
    if runtime == "deno":
        if pm is not None:
            raise ValueError(f"hm.js: runtime='deno' installs its own dependencies; drop pm={pm!r}")
        installed = install_chain(
            tag="deno",
            packages=("curl", "ca-certificates", "unzip"),
            install=_deno(version),
            install_label="install",
            install_cache=CacheForever(env_keys=()),
            image=image,
            base=base,
        )
        return _with_dependencies(installed, path=path, manager="deno", tag="deno")

    manager = pm or detected.manager or ("bun" if runtime == "bun" else "npm")
    if manager == "deno":
        raise ValueError("hm.js: deno is a runtime, not a package manager; pass runtime='deno'")
    if runtime == "bun" and manager != "bun":
        raise ValueError(
            f"hm.js: runtime='bun' installs with bun, not {manager}; drop pm= or pass pm='bun'"
        )
    if manager not in _PACKAGE_MANAGERS:
        raise KeyError(
            f"hm.js: unknown package manager {manager!r}; use one of {', '.join(_PACKAGE_MANAGERS)}"
        )
    bun_involved = "bun" in (runtime, manager)
    tag = "bun" if runtime == "bun" else "node"
    installed = install_chain(
        tag=tag,
        # bun's installer unpacks a zip.
        packages=("curl", "ca-certificates", "unzip")
        if bun_involved
        else ("curl", "ca-certificates"),
        install=_bun(version) if runtime == "bun" else _node(version or "22"),
        install_label="install",
        install_cache=CacheForever(env_keys=()),
        image=image,
        base=base,
    )
    bootstrap = _bootstrap(manager, runtime, detected.manager_version)
    if bootstrap is not None:
        # A pinned version lives in package.json: the bootstrap is stale once that changes.
        policy: CachePolicy = (
            CacheForever(env_keys=())
            if detected.manager_version is None
            else CacheOnChange(paths=(f"{path}/package.json",))
        )
        installed = installed.sh(bootstrap, label=f":{tag}: {manager}", cache=policy)
    return _with_dependencies(installed, path=path, manager=manager, tag=tag)


def _with_dependencies(installed: Step, *, path: str, manager: str, tag: str) -> JsProject:
    chosen = _MANAGERS[manager]
    dependencies = installed.sh(
        f"cd {path} && {chosen.install}",
        label=f":{tag}: deps",
        cache=CacheOnChange(paths=(f"{path}/{chosen.lock}",)),
    )
    return JsProject(path=path, installed=dependencies, run_prefix=chosen.run, tag=tag)


class JsEntry:
    """``hm.js`` and ``hm.ts``: ``project()`` installs runtime, package manager, dependencies."""

    @staticmethod
    def project(
        *,
        path: str = ".",
        pm: str | None = None,
        runtime: str | None = None,
        version: str | None = None,
        image: str | None = None,
        base: Step | None = None,
    ) -> JsProject:
        """
        Install the runtime and package manager, then the locked dependencies.

        With neither ``runtime`` nor ``pm`` given, both are read from ``path`` (see the module
        documentation), defaulting to Node with npm.

        :param path: the directory holding ``package.json``, relative to the repository root.
        :param pm: ``"npm"``, ``"pnpm"``, ``"yarn-classic"``, ``"yarn-berry"`` or ``"bun"``.
        :param runtime: ``"node"``, ``"bun"`` or ``"deno"``.
        :param version: the runtime's version: a Node major (``"22"``), or Bun's or Deno's
            release (``"1.2.3"``).
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :raises ValueError: for an unknown runtime, a bad version, or a runtime and package
            manager that do not go together.
        :raises KeyError: for an unknown package manager.
        """
        return _project(path=path, pm=pm, runtime=runtime, version=version, image=image, base=base)


js: Final = JsEntry()
ts: Final = js
