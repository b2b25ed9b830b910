"""`hm trace summary FILE`: where a traced build's time went (see `hm run --trace`)."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotation at run time
from typing import Annotated

import typer

from harmont_cli._help import HelpCommand, HelpGroup

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the `hm trace` group to ``app``."""
    group = typer.Typer(
        help="Read the traces `hm run --trace FILE` writes.",
        cls=HelpGroup,
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    app.add_typer(group, name="trace")

    @group.command("summary", cls=HelpCommand)
    def summary_command(
        file: Annotated[
            Path, typer.Argument(metavar="FILE", help="A trace written by `hm run --trace`.")
        ],
    ) -> None:
        """
        Print where a build's time went: the slowest steps, the critical path, plugins.

        The critical path is the chain of steps, each needing the one before, with the
        most work: the shortest the build could take with unlimited parallelism.
        """
        from harmont._orchestrator._trace_summary import read_trace, summary

        for line in summary(read_trace(file)):
            typer.echo(line)
