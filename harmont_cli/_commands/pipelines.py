"""`hm pipelines`: print the pipelines a repo declares, as the discovery envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeAlias

import typer

from harmont_cli._help import HelpCommand

__all__ = ["PipelineSlug", "PipelineTarget", "RepoDir", "register"]

#: The ``-d/--dir`` option of the commands that read a repo's pipeline files or source.
RepoDir: TypeAlias = Annotated[
    Path,
    typer.Option(
        "-d",
        "--dir",
        metavar="DIR",
        help="The project root: holds the .harmont/ (or .hm/) pipeline files and the "
        "source a run packs.",
        file_okay=False,
        show_default="the current directory",
    ),
]


#: The ``[PIPELINE|FILE|-]`` argument of the commands that take one pipeline.
PipelineTarget: TypeAlias = Annotated[
    str | None,
    typer.Argument(
        metavar="[PIPELINE|FILE|-]",
        help="A pipeline slug of the repo (default: its only pipeline), the path of an IR "
        "JSON file (graph form, flat form or envelope), or - for stdin.",
        show_default=False,
    ),
]

#: The ``--slug`` option: picks one of several pipelines, wherever they come from.
PipelineSlug: TypeAlias = Annotated[
    str | None,
    typer.Option(
        "--slug",
        metavar="SLUG",
        help="The pipeline to pick, of the repo or of an envelope FILE or -.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add `hm pipelines` to ``app``."""

    @app.command("pipelines", cls=HelpCommand)
    def pipelines_command(directory: RepoDir = Path()) -> None:
        """Print every pipeline of the repo as one JSON envelope (schema_version 1)."""
        from harmont._pipelines import render_envelope

        typer.echo(render_envelope(directory))
