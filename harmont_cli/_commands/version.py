"""`hm version`: the version of hm and of the plugin API it speaks."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `hm version` to ``app``."""

    @app.command("version")
    def version_command() -> None:
        """Print the hm version and the plugin API version."""
        from harmont._version import __version__
        from harmont.protocol import API_VERSION

        typer.echo(f"hm {__version__}")
        typer.echo(f"plugin api version: {API_VERSION}")
