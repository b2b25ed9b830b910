"""
The Typer application behind `hm`.

Each command parses its arguments, makes one library call and renders the result; logic
that a command needs and the library lacks belongs in the library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

# typer 0.27 vendors click under a private name; the version pin keeps this import valid.
from typer._click.exceptions import ClickException

from harmont._errors import HarmontError
from harmont_cli._exit import ExitCode, report

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["build_app"]

_HELP = "hm: run Harmont CI pipelines locally."


def build_app() -> Callable[[list[str]], int]:
    """
    Build the `hm` command tree and return a callable that runs it on an argument list.

    The callable returns the exit code instead of exiting, so tests and embedders can
    call it in-process.
    """
    from harmont_cli import _commands

    app = typer.Typer(
        help=_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root() -> None:
        """hm: run Harmont CI pipelines locally."""

    _commands.register(app)
    command = typer.main.get_command(app)

    def run(args: list[str]) -> int:
        try:
            result = command.main(args=args, prog_name="hm", standalone_mode=False)
        except HarmontError as error:
            return int(report(error))
        except typer.Exit as done:
            return int(done.exit_code)
        except typer.Abort:
            return int(ExitCode.CANCELLED)
        except ClickException as error:  # usage errors from the parser
            error.show()
            return int(ExitCode.USAGE)
        return int(result) if isinstance(result, int) else 0

    return run
