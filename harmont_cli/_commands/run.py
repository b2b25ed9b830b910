"""`hm run`: build one pipeline with live output; a thin caller of :func:`harmont.run`."""

from __future__ import annotations

import enum
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harmont._errors import HarmontError, UsageError
from harmont_cli._app import AppState

# Typer reads these annotations at run time, so they cannot move under TYPE_CHECKING.
from harmont_cli._commands._selection import (  # noqa: TC001
    EnvOptions,
    OnlySteps,
    RunnerOption,
    SecretOptions,
)
from harmont_cli._commands.config import ConfiguredCommand
from harmont_cli._commands.debug import ShellOption, debug_program
from harmont_cli._commands.pipelines import (  # noqa: TC001
    PipelineSlug,
    PipelineTarget,
    RepoDir,
)
from harmont_cli._exit import exit_code_for

if TYPE_CHECKING:
    from harmont._renderers import Renderer

__all__ = ["register"]


class OutputFormat(enum.Enum):
    """What ``--format`` accepts, and nothing else."""

    HUMAN = "human"
    JSON = "json"


class PullOption(enum.Enum):
    """What ``--pull`` accepts: the words of ``docker run --pull``."""

    MISSING = "missing"
    ALWAYS = "always"
    NEVER = "never"


class _WarningsToRenderer(logging.Handler):
    """Shows harmont's and plugins' warnings once each, through the active renderer."""

    def __init__(self, renderer: Renderer) -> None:
        super().__init__(logging.WARNING)
        self._renderer = renderer

    def emit(self, record: logging.LogRecord) -> None:
        plugin = getattr(record, "harmont_plugin", None)
        prefix = f"{plugin}: " if plugin else ""
        self._renderer.warn(prefix + record.getMessage())


def parse_env(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict, later ones winning."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(
                f"--env expects KEY=VALUE (got {pair!r})", hint="for example: -e CI=true"
            )
        env[key] = value
    return env


def register(app: typer.Typer) -> None:
    """Add `hm run` to ``app``."""

    @app.command("run", cls=ConfiguredCommand)
    def run_command(  # noqa: PLR0917 - Typer maps each option to one parameter
        ctx: typer.Context,
        target: PipelineTarget = None,
        directory: RepoDir = Path(),
        env: EnvOptions = None,
        runner: RunnerOption = None,
        parallelism: Annotated[
            int | None,
            typer.Option(
                "--parallelism",
                "-j",
                metavar="N",
                help="Chains to run at once.",
                show_default="the CPU count",
            ),
        ] = None,
        keep_going: Annotated[
            bool,
            typer.Option(
                "--keep-going/--no-keep-going",
                "-k",
                show_default=False,
                help="After a failure, let independent chains finish.",
            ),
        ] = False,
        output_format: Annotated[
            OutputFormat,
            typer.Option(
                "--format",
                metavar="human|json",
                help="human: progress on stderr; json: one event per stdout line.",
            ),
        ] = OutputFormat.HUMAN,
        logs: Annotated[
            bool,
            typer.Option(
                "--logs/--no-logs",
                show_default=False,
                help="Stream every step's output as lines prefixed [KEY] (the step key, "
                "not its label; each step's start line names its label).",
            ),
        ] = False,
        no_color: Annotated[
            bool,
            typer.Option(
                "--no-color/--color",
                show_default=False,
                help="Plain lines: no colour, no live display, no escape sequence (also: "
                "NO_COLOR set).",
            ),
        ] = False,
        pull: Annotated[
            PullOption,
            typer.Option(
                "--pull",
                metavar="missing|always|never",
                help="Pull chain images: missing (not stored), always, or never.",
            ),
        ] = PullOption.MISSING,
        slug: PipelineSlug = None,
        only: OnlySteps = None,
        secret: SecretOptions = None,
        interactive: Annotated[
            bool,
            typer.Option(
                "--interactive/--no-interactive",
                "-i",
                show_default=False,
                help="When a step fails, open a shell where it failed; the build holds "
                "until the shell exits (needs a terminal).",
            ),
        ] = False,
        shell: ShellOption = None,
        trace: Annotated[
            Path | None,
            typer.Option(
                "--trace",
                metavar="FILE",
                help="Write where the time went to FILE, as Chrome trace-event JSON (open it "
                "in ui.perfetto.dev, or read it with `hm trace summary FILE`); written "
                "however the build ends.",
            ),
        ] = None,
    ) -> int:
        """Run a pipeline: its chains in parallel, on the runners of its steps."""
        import os

        import harmont
        from harmont._orchestrator._signals import exit_status, signals_cancel
        from harmont._renderers import make_renderer
        from harmont._secrets import parse_secrets

        overrides = parse_env(env or [])
        secrets = parse_secrets(secret or [], os.environ)
        disabled = ctx.obj.disabled if isinstance(ctx.obj, AppState) else frozenset[str]()
        if interactive and output_format is OutputFormat.HUMAN:
            # Plain lines: live progress would draw over the shell.
            from harmont._renderers._lines import LinesRenderer

            renderer: Renderer = LinesRenderer(typer.get_binary_stream("stderr"), stream_logs=logs)
        else:
            renderer = make_renderer(
                output_format=output_format.value, logs=logs, no_color=no_color
            )
        handler = _WarningsToRenderer(renderer)
        logger = logging.getLogger("harmont")
        logger.addHandler(handler)
        cancel = threading.Event()
        failure: str | None = None
        exit_code: int | None = None
        skipped: list[str] = []
        try:
            with signals_cancel(cancel, renderer.warn):
                result = harmont.run(
                    target,
                    slug=slug,
                    directory=directory,
                    runner=runner,
                    parallelism=parallelism,
                    env=overrides,
                    keep_going=keep_going,
                    on_event=renderer.on_event,
                    on_plan=renderer.describe,
                    cancel=cancel,
                    disabled_plugins=disabled,
                    only=only or (),
                    secrets=secrets,
                    debug_shell=harmont.DebugShell(on_failure=True, program=debug_program(shell))
                    if interactive
                    else None,
                    pull=pull.value,
                    on_pull=renderer.on_pull,
                    trace=trace,
                )
            failure = result.failure
            exit_code = exit_status(result.exit_code)
            skipped = [
                s.key for s in result.steps if s.status is harmont.StepStatus.SKIPPED and s.selected
            ]
            return exit_code
        except HarmontError as exc:
            # The closing line must show the code `hm` exits with, not the build's.
            exit_code = exit_status(exit_code_for(exc))
            raise
        finally:
            logger.removeHandler(handler)
            renderer.close(failure, exit_code=exit_code, skipped=skipped)
