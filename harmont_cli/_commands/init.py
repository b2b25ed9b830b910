"""`hm init`: write a starter pipeline for the project, chosen from its files."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

# Typer reads these annotations at run time, so they cannot move under TYPE_CHECKING.
from harmont_cli._commands.pipelines import RepoDir  # noqa: TC001
from harmont_cli._help import HelpCommand

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `hm init` to ``app``."""

    @app.command("init", cls=HelpCommand)
    def init_command(
        template: Annotated[
            str | None,
            typer.Option(
                "-t",
                "--template",
                metavar="TEMPLATE",
                help="rust, nextjs, js, cmake, elixir, zig, go, python or shell; "
                "default: chosen from the project's files.",
                show_default=False,
            ),
        ] = None,
        directory: RepoDir = Path(),
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing .harmont/pipeline.py.")
        ] = False,
    ) -> None:
        """Write .harmont/pipeline.py: CI for the project's language, ready to run."""
        from harmont._dsl.starters import write_starter

        starter = write_starter(directory, template=template, force=force)
        where = "" if directory == Path() else f" -d {shlex.quote(str(directory))}"
        typer.echo(
            f"wrote {starter.path} from the {starter.choice.template} template "
            f"({starter.choice.reason})"
        )
        typer.echo(f"next: hm run{where}   (hm render{where} prints its IR)")
