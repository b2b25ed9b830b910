"""`hm debug`: a shell where a step runs, after what it needs has run."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from harmont._errors import UsageError
from harmont.protocol import BuildStart, StepEnd, StepQueued
from harmont_cli._app import AppState

# Typer reads these annotations at run time, so they cannot move under TYPE_CHECKING.
from harmont_cli._commands._selection import (  # noqa: TC001
    EnvOptions,
    RunnerOption,
    SecretOptions,
)
from harmont_cli._commands.pipelines import PipelineSlug, RepoDir  # noqa: TC001
from harmont_cli._help import HelpCommand

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._orchestrator._preflight import PullProgress
    from harmont._orchestrator._result import RunEvent
    from harmont._renderers._lines import LinesRenderer
    from harmont.protocol import CommandStep

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
        from harmont._orchestrator._signals import signals_cancel
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
        stderr = typer.get_binary_stream("stderr")
        # Plain lines: live progress would draw over the shell. With --after the step's
        # command runs as a step: its output is shown as it comes, before the shell opens.
        renderer = _DebugLines(stderr, LinesRenderer(stderr, stream_logs=after), after=after)
        cancel = threading.Event()
        with signals_cancel(cancel, renderer.warn):
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
        stderr.write(f"debug shell exited {result.shell_exit_code}\n".encode())
        stderr.flush()
        return result.shell_exit_code


class _DebugLines:
    """
    The lines of `hm debug`: a build's, except for the step the shell opened in place of.

    That step did not run (without ``--after``): its end is shown as such, never as a pass
    or a failure. It is the plan's last step to be queued: the build is that step and what
    it needs, and all of that ends before it starts.
    """

    def __init__(self, out: BinaryIO, lines: LinesRenderer, *, after: bool) -> None:
        self._out = out
        self._lines = lines
        self._after = after
        self._planned: int | None = None
        self._queued = 0
        self._debugged: StepQueued | None = None

    def on_event(self, event: RunEvent) -> None:
        if isinstance(event, BuildStart):
            self._planned = event.plan.step_count
        elif isinstance(event, StepQueued):
            self._queued += 1
            if self._queued == self._planned:
                self._debugged = event
        elif (
            isinstance(event, StepEnd)
            and not self._after
            and self._debugged is not None
            and event.step_id == self._debugged.step_id
            and event.exit_code == 0
        ):
            from harmont._renderers._view import format_duration

            took = format_duration(event.duration_ms)
            self._out.write(f"· {self._debugged.key}  not run: a debug shell · {took}\n".encode())
            self._out.flush()
            return
        self._lines.on_event(event)

    def describe(self, steps: Sequence[CommandStep]) -> None:
        self._lines.describe(steps)

    def on_pull(self, progress: PullProgress) -> None:
        self._lines.on_pull(progress)

    def warn(self, message: str) -> None:
        self._lines.warn(message)

    def close(self, failure: str | None, *, exit_code: int) -> None:
        self._lines.close(failure, exit_code=exit_code)
