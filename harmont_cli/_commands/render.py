"""`hm render`: print one pipeline's IR, rendered from the repo or read from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harmont_cli._commands.pipelines import RepoDir  # noqa: TC001 - Typer reads it at run time

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `hm render` to ``app``."""

    @app.command("render")
    def render_command(
        target: Annotated[
            str | None,
            typer.Argument(
                metavar="[SLUG|FILE|-]",
                help="A pipeline slug of the repo (default: its only pipeline), the path "
                "of an IR JSON file (graph form, flat form or envelope), or - for stdin.",
                show_default=False,
            ),
        ] = None,
        directory: RepoDir = Path(),
        slug: Annotated[
            str | None,
            typer.Option("--slug", help="The pipeline to pick from an envelope file."),
        ] = None,
    ) -> None:
        """Validate one pipeline's IR and print it as JSON."""
        from harmont._pipelines import resolve_definition

        typer.echo(resolve_definition(target, root=directory, slug=slug).text)
