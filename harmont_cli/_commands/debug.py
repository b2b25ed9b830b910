"""`hm debug`: a shell where a step runs, after what it needs has run."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated

import typer

from harmont._errors import UsageError
from harmont_cli._app import AppState

# Typer reads these annotations at run time, so they cannot move under TYPE_CHECKING.
from harmont_cli._commands._selection import (  # noqa: TC001
    EnvOptions,
    RunnerOption,
    SecretOptions,
)
from harmont_cli._commands.pipelines import PipelineSlug, RepoDir  # noqa: TC001
from harmont_cli._help import HelpCommand

__all__ = ["ShellOption", "debug_program", "register"]

#: ``--shell PROGRAM``: the shell `hm debug` and `hm run -i` open.
ShellOption = Annotated[
    str | None,
    typer.Option(
        "--shell",
        metavar="PROGRAM",
        help="The shell to open (default: $HM_DEBUG_SHELL, else sh).",
        show_default=False,
    ),
]


def debug_program(shell: str | None) -> str:
    """``--shell``, else ``HM_DEBUG_SHELL``, else ``sh``."""
    from harmont._orchestrator._debug import DEFAULT_SHELL

    return shell or os.environ.get("HM_DEBUG_SHELL") or DEFAULT_SHELL


def register(app: typer.Typer) -> None:
    """Add `hm debug` to ``app``."""

    @app.command("debug", cls=HelpCommand)
    def debug_command(  # noqa: PLR0917 - Typer maps each option to one parameter
        ctx: typer.Context,
        names: Annotated[
            list[str],
            typer.Argument(
                metavar="[PIPELINE|FILE|-] STEP",
                help="The pipeline, as for hm run (default: the repo's only one), and the "
                "step: its key, or a label that names one step.",
                show_default=False,
            ),
        ],
        directory: RepoDir = Path(),
        env: EnvOptions = None,
        runner: RunnerOption = None,
        secret: SecretOptions = None,
        after: Annotated[
            bool,
            typer.Option("--after", help="Run the step's command first, then open the shell."),
        ] = False,
        shell: ShellOption = None,
        slug: PipelineSlug = None,
    ) -> int:
        """Run what STEP needs, then open a shell where STEP runs; exit with the shell's code."""
        import harmont
        from harmont._orchestrator._signals import ctrl_c_cancels
        from harmont._renderers._lines import LinesRenderer
        from harmont._secrets import parse_secrets
        from harmont_cli._commands.run import parse_env

        if len(names) > 2:
            raise UsageError(
                f"hm debug takes [PIPELINE|FILE|-] STEP, got {len(names)} arguments",
                hint="quote a label that holds spaces",
            )
        target, step = (None, names[0]) if len(names) == 1 else (names[0], names[1])
        disabled = ctx.obj.disabled if isinstance(ctx.obj, AppState) else frozenset[str]()
        # Plain lines: live progress would draw over the shell.
        renderer = LinesRenderer(typer.get_binary_stream("stderr"), stream_logs=False)
        cancel = threading.Event()
        with ctrl_c_cancels(cancel, renderer.warn):
            result = harmont.run(
                target,
                slug=slug,
                directory=directory,
                runner=runner,
                env=parse_env(env or []),
                secrets=parse_secrets(secret or [], os.environ),
                on_event=renderer.on_event,
                on_plan=renderer.describe,
                on_pull=renderer.on_pull,
                cancel=cancel,
                disabled_plugins=disabled,
                debug_shell=harmont.DebugShell(at=step, after=after, program=debug_program(shell)),
            )
        renderer.close(result.failure, exit_code=result.exit_code)
        if result.shell_exit_code is None or result.exit_code in {6, 130}:
            return result.exit_code
        return result.shell_exit_code
