"""`hm pipelines`: print the pipelines a repo declares, as the discovery envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeAlias

import typer

__all__ = ["EnvelopeSlug", "PipelineTarget", "RepoDir", "register"]

#: The ``-d/--dir`` option of the commands that read a repo's pipeline files.
RepoDir: TypeAlias = Annotated[
    Path,
    typer.Option(
        "-d",
        "--dir",
        help="Repo root holding .harmont/ (or .hm/) pipeline files.",
        file_okay=False,
        show_default="the current directory",
    ),
]


#: The ``[SLUG|FILE|-]`` argument of the commands that take one pipeline.
PipelineTarget: TypeAlias = Annotated[
    str | None,
    typer.Argument(
        metavar="[SLUG|FILE|-]",
        help="A pipeline slug of the repo (default: its only pipeline), the path of an IR "
        "JSON file (graph form, flat form or envelope), or - for stdin.",
        show_default=False,
    ),
]

#: The ``--slug`` option that picks a pipeline of an envelope file.
EnvelopeSlug: TypeAlias = Annotated[
    str | None,
    typer.Option("--slug", help="The pipeline to pick from an envelope file."),
]


def register(app: typer.Typer) -> None:
    """Add `hm pipelines` to ``app``."""

    @app.command("pipelines")
    def pipelines_command(directory: RepoDir = Path()) -> None:
        """Print every pipeline of the repo as one JSON envelope (schema_version 1)."""
        from harmont._pipelines import render_envelope

        typer.echo(render_envelope(directory))
