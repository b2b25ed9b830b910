"""The built-in commands of `hm`, one module each, registered on the Typer app here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harmont._plugins._manager import BUILTIN_VERBS
from harmont_cli._commands import (
    cache,
    config,
    debug,
    init,
    pipelines,
    plugin,
    render,
    run,
    trace,
    version,
)

if TYPE_CHECKING:
    import typer

__all__ = ["BUILTIN_VERBS", "register"]


def register(app: typer.Typer) -> None:
    """Add every built-in command to ``app``."""
    version.register(app)
    pipelines.register(app)
    render.register(app)
    plugin.register(app)
    run.register(app)
    debug.register(app)
    cache.register(app)
    init.register(app)
    config.register(app)
    trace.register(app)
