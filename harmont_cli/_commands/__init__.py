"""The built-in commands of `hm`, one module each, registered on the Typer app here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harmont_cli._commands import pipelines, render, version

if TYPE_CHECKING:
    import typer

__all__ = ["BUILTIN_VERBS", "register"]

#: Top-level words owned by `hm` itself; a plugin verb may not shadow them.
BUILTIN_VERBS: Final[frozenset[str]] = frozenset(
    {"run", "render", "pipelines", "plugin", "version", "cache", "help"}
)


def register(app: typer.Typer) -> None:
    """Add every built-in command to ``app``."""
    version.register(app)
    pipelines.register(app)
    render.register(app)
