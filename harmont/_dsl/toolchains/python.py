"""
``hm.python`` and ``hm.py.uv``: Python projects managed by uv.

Both install uv, then ``uv sync --all-extras`` (cached on ``uv.lock`` and ``pyproject.toml``):
the actions' tools (pytest, ruff, ty) are usually declared in an extra, not as runtime
dependencies. ``hm.py.uv`` adds ``run``, ``build``, ``lock_check`` and ``publish``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._dsl._cache import CacheForever, CacheOnChange
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import (
    SHORTHAND_STEP_OPTIONS,
    Shorthand,
    check_version,
    install_chain,
    labelled,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PythonToolchain", "UvProject", "python", "uv"]

_TYPECHECK_OPTIONS = SHORTHAND_STEP_OPTIONS | {"paths"}


@attrs.frozen
class PythonToolchain:
    """A synced uv project (``.installed``) with ``test``, ``lint``, ``fmt`` and ``typecheck``."""

    path: str
    installed: Step

    def _action(self, command: str, label: str, options: Mapping[str, Any]) -> Step:
        return self.installed.sh(f"cd {self.path} && {command}", **labelled(options, label))

    def test(self, **options: Any) -> Step:
        """``uv run pytest``."""
        return self._action("uv run pytest", ":python: test", options)

    def lint(self, **options: Any) -> Step:
        """``uv run ruff check .``."""
        return self._action("uv run ruff check .", ":python: lint", options)

    def fmt(self, **options: Any) -> Step:
        """``uv run ruff format --check .``."""
        return self._action("uv run ruff format --check .", ":python: fmt", options)

    def typecheck(self, *, paths: str | list[str] | None = None, **options: Any) -> Step:
        """``uv run ty check`` on ``paths`` (one path or a list; default ``.``)."""
        checked = "." if paths is None else paths if isinstance(paths, str) else " ".join(paths)
        return self._action(f"uv run ty check {checked}", ":python: typecheck", options)


@attrs.frozen
class UvProject(PythonToolchain):
    """A synced uv project: :class:`PythonToolchain`'s actions, plus packaging ones."""

    def run(self, cmd: str, **options: Any) -> Step:
        """``uv run CMD``, labelled after the command's first word."""
        words = cmd.split()
        return self._action(f"uv run {cmd}", f":python: {words[0] if words else 'run'}", options)

    def build(self, **options: Any) -> Step:
        """``uv build``: the sdist and wheel."""
        return self._action("uv build", ":python: build", options)

    def lock_check(self, **options: Any) -> Step:
        """``uv lock --check``: fail when ``uv.lock`` is out of date."""
        return self._action("uv lock --check", ":python: lock-check", options)

    def publish(self, **options: Any) -> Step:
        """``uv publish``."""
        return self._action("uv publish", ":python: publish", options)


def _synced(
    *, helper: str, what: str, path: str, version: str, image: str | None, base: Step | None
) -> Step:
    check_version(helper, what, version, r"\d+\.\d+\.\d+|latest", "'latest' or '0.4.18'")
    pinned = "" if version == "latest" else f"UV_VERSION={version} "
    installed = install_chain(
        tag="python",
        packages=("curl", "ca-certificates", "python3", "python3-venv"),
        install=(
            f"{pinned}curl -LsSf https://astral.sh/uv/install.sh | sh && "
            "ln -sf /root/.local/bin/uv /usr/local/bin/uv && uv --version"
        ),
        install_label="uv-install",
        install_cache=CacheForever(env_keys=()),
        image=image,
        base=base,
    )
    return installed.sh(
        f"cd {path} && uv sync --all-extras",
        label=":python: uv-sync",
        cache=CacheOnChange(paths=(f"{path}/uv.lock", f"{path}/pyproject.toml")),
    )


class PythonEntry:
    """``hm.python``: call it for a toolchain; ``hm.python.test()`` and friends for one leaf."""

    def __call__(
        self,
        *,
        path: str = ".",
        uv_version: str = "latest",
        image: str | None = None,
        base: Step | None = None,
    ) -> PythonToolchain:
        """
        Install uv and sync the project in ``path`` (with ``pyproject.toml``).

        :param uv_version: ``"latest"`` or a uv release such as ``"0.4.18"``.
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :raises ValueError: for a malformed version.
        """
        synced = _synced(
            helper="hm.python",
            what="uv_version",
            path=path,
            version=uv_version,
            image=image,
            base=base,
        )
        return PythonToolchain(path=path, installed=synced)

    test = Shorthand("test")
    lint = Shorthand("lint")
    fmt = Shorthand("fmt")
    typecheck = Shorthand("typecheck", leaf_options=_TYPECHECK_OPTIONS)


class UvEntry:
    """``hm.py.uv``: call it for a project; ``hm.py.uv.test()`` and friends for one leaf."""

    def __call__(
        self,
        *,
        path: str = ".",
        version: str = "latest",
        image: str | None = None,
        base: Step | None = None,
    ) -> UvProject:
        """
        Install uv and sync the project in ``path`` (with ``pyproject.toml``).

        :param version: ``"latest"`` or a uv release such as ``"0.4.18"``.
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :raises ValueError: for a malformed version.
        """
        synced = _synced(
            helper="hm.py.uv", what="version", path=path, version=version, image=image, base=base
        )
        return UvProject(path=path, installed=synced)

    test = Shorthand("test")
    lint = Shorthand("lint")
    fmt = Shorthand("fmt")
    typecheck = Shorthand("typecheck", leaf_options=_TYPECHECK_OPTIONS)
    run = Shorthand("run")
    build = Shorthand("build")
    lock_check = Shorthand("lock_check")
    publish = Shorthand("publish")


python: Final = PythonEntry()
uv: Final = UvEntry()
