"""
What `hm` says about itself: help screens and usage errors, in one style.

click truncates each command's description to fit one line of the command list (ending
it in ``...``) and reports usage errors as ``Error: No such option``. `hm` instead lists
each command's whole first sentence, wrapped; ends the top-level help with its exit
codes; and reports a usage error as every other error, ``error:`` then ``hint:``, naming
the closest option or command where one is close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from typer.core import TyperCommand, TyperGroup

from harmont._errors import UsageError
from harmont_cli._exit import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterable

    from typer._click import Context, HelpFormatter
    from typer._click.exceptions import ClickException

__all__ = ["EXIT_CODES", "HelpCommand", "HelpGroup", "closest", "usage_error"]

#: The exit codes `hm --help` lists, with what each means.
EXIT_CODES: Final = (
    (ExitCode.OK, "success: every step passed"),
    (ExitCode.FAILED, "a step failed"),
    (ExitCode.USAGE, "bad usage, pipeline or source tree"),
    (ExitCode.AUTH, "credentials missing or refused"),
    (ExitCode.UNREACHABLE, "the Docker engine or the network is unreachable"),
    (ExitCode.PLUGIN_LOAD, "a plugin failed to load, or two plugins conflict"),
    (ExitCode.PLUGIN_RUNTIME, "a plugin failed while running"),
    (ExitCode.PIPELINE_INVALID, "a step names a runner no plugin provides"),
    (ExitCode.CANCELLED, "cancelled by Ctrl-C (143: SIGTERM, 129: SIGHUP)"),
)


def _unbraced(piece: str) -> str:
    """Typer writes a required argument ``{NAME}``; `hm` writes every placeholder ``NAME``."""
    return piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece


class HelpCommand(TyperCommand):
    """A command whose usage line writes placeholders as every `hm` help screen does."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return [_unbraced(piece) for piece in super().collect_usage_pieces(ctx)]


class HelpGroup(TyperGroup):
    """A command group whose help lists each command's whole first sentence."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return [_unbraced(piece) for piece in super().collect_usage_pieces(ctx)]

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                # No limit: the formatter wraps a long sentence instead of cutting it.
                rows.append((name, command.get_short_help_str(limit=1 << 16)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def exit_code_section(formatter: HelpFormatter) -> None:
    """Write the ``Exit codes`` section of `hm --help`."""
    with formatter.section("Exit codes"):
        formatter.write_dl([(str(int(code)), meaning) for code, meaning in EXIT_CODES])


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to *word*, if one is near enough to be what was meant."""
    import difflib  # only on the error path: `hm --help` is timed

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def usage_error(error: ClickException) -> UsageError:
    """
    click's usage error as harmont's: one lower-case line, and a hint naming the closest
    option (for an unknown one) and the help screen to read.
    """
    from typer._click.exceptions import NoSuchOption
    from typer._click.exceptions import UsageError as ClickUsageError

    ctx = error.ctx if isinstance(error, ClickUsageError) else None
    where = ctx.command_path if ctx is not None else "hm"
    see = f"see `{where} --help`"
    if isinstance(error, NoSuchOption):
        options = _options(ctx) if ctx is not None else []
        near = closest(error.option_name, [*(error.possibilities or ()), *options])
        hint = f"did you mean {near}? ({see})" if near is not None else see
        return UsageError(f"no such option for `{where}`: {error.option_name}", hint=hint)
    message = error.format_message().rstrip(".")
    return UsageError(message[:1].lower() + message[1:], hint=see)


def _options(ctx: Context) -> list[str]:
    """Every option string of *ctx*'s command (``--keep-going``, ``-k``...)."""
    return [
        name
        for param in ctx.command.get_params(ctx)
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("-")
    ]
