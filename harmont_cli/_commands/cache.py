"""`hm cache clean`: remove the snapshots harmont keeps, in the Docker engine and on disk."""

from __future__ import annotations

from typing import Annotated

import typer

from harmont_cli._exit import ExitCode
from harmont_cli._help import HelpCommand, HelpGroup

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the `hm cache` group to ``app``."""
    group = typer.Typer(
        help="Manage the snapshots harmont keeps.",
        no_args_is_help=True,
        rich_markup_mode=None,
        cls=HelpGroup,
    )
    app.add_typer(group, name="cache")

    @group.command("clean", cls=HelpCommand)
    def clean_command(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print what would be removed; remove nothing.")
        ] = False,
    ) -> int:
        """
        Remove harmont's Docker images (step cache and fork snapshots), the containers of
        runs that crashed, the local runner's cache snapshots, and the kubernetes runner's
        snapshot tars and leftover pods. Without a reachable Docker engine, the local and
        kubernetes stores are still cleaned. Do not run it while `hm run` is running.
        """
        from harmont._executors._cache_clean import clean_caches

        report = clean_caches(dry_run=dry_run)
        for line in report.skipped:
            typer.echo(f"warning: {line}", err=True)
        verb = "would remove" if report.dry_run else "removed"
        for removal in report.removals:
            line = f"{verb} {removal.what} {removal.name} ({removal.kind})"
            if removal.error is not None:
                line = f"could not remove {removal.what} {removal.name}: {removal.error}"
            typer.echo(line, err=removal.error is not None)
        if not report.removals:
            typer.echo("nothing to remove")
        return int(ExitCode.FAILED if report.failed else ExitCode.OK)
