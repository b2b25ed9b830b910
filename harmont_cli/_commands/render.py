"""`hm render`: print one pipeline's IR, rendered from the repo or read from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# Typer reads these annotations at run time, so they cannot move under TYPE_CHECKING.
from harmont_cli._commands._selection import OnlySteps  # noqa: TC001
from harmont_cli._commands.pipelines import (  # noqa: TC001
    PipelineSlug,
    PipelineTarget,
    RepoDir,
)
from harmont_cli._help import HelpCommand

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `hm render` to ``app``."""

    @app.command("render", cls=HelpCommand)
    def render_command(
        target: PipelineTarget = None,
        directory: RepoDir = Path(),
        slug: PipelineSlug = None,
        only: OnlySteps = None,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict",
                help="Reject unknown fields (by default each is a warning naming the "
                "closest known field, and is ignored).",
            ),
        ] = False,
    ) -> None:
        """Validate one pipeline's IR and print it as JSON (with --only, reduced)."""
        from harmont._ir._json import STRICT
        from harmont._ir._select import reduce_text, select
        from harmont._pipelines import resolve_definition
        from harmont_cli._app import warnings_to_stderr

        token = STRICT.set(strict)
        try:
            with warnings_to_stderr():
                definition = resolve_definition(target, root=directory, slug=slug)
        finally:
            STRICT.reset(token)
        if not only:
            typer.echo(definition.text)
            return
        kept = select(definition.ir, only).ir
        typer.echo(reduce_text(definition.text, frozenset(s.key for s in kept.steps)))
