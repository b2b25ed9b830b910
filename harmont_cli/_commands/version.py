"""`hm version`: the version of hm, of the plugin API it speaks, and the plugins loaded."""

from __future__ import annotations

import typer

from harmont_cli._help import HelpCommand

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `hm version` to ``app``."""

    @app.command("version", cls=HelpCommand)
    def version_command(ctx: typer.Context) -> None:
        """Print the hm version, the plugin API version and how many plugins loaded."""
        from harmont import PluginStatus
        from harmont._version import __version__
        from harmont.protocol import API_VERSION
        from harmont_cli._commands.plugin import app_state

        plugins = app_state(ctx).registry().plugins()
        loaded = sum(1 for p in plugins if p.status is PluginStatus.LOADED)
        typer.echo(f"hm {__version__}")
        typer.echo(f"plugin api version: {API_VERSION}")
        typer.echo(f"plugins loaded: {loaded}")
