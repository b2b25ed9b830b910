"""Console entry point of `hm`: answers ``--version`` early, maps errors to exit codes."""

from __future__ import annotations

import sys

# Not `typing.TYPE_CHECKING`: `hm --version` stays free of typing's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["console_main", "main"]


def main(argv: list[str] | None = None) -> int:
    """
    Run `hm` with ``argv`` (default: the process arguments) and return the exit code.

    ``--version`` is answered before Typer or any plugin is imported, so it stays as fast
    as a bare interpreter start.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from harmont._version import __version__

        sys.stdout.write(f"hm {__version__}\n")
        return 0
    help_words = _help_request(args)
    if help_words is not None:
        from harmont._plugins._capability_index import lookup_help

        text = lookup_help(help_words)
        if text is not None:
            sys.stdout.write(text)
            return 0

    from harmont._errors import Cancelled, HarmontError
    from harmont._orchestrator._signals import exit_status, forget_signals, signals_interrupt
    from harmont_cli._app import build_app
    from harmont_cli._exit import report

    forget_signals()
    # SIGTERM and SIGHUP stop `hm` as Ctrl-C does, with cleanup; `hm run` handles them
    # itself while it builds. The exit status names the signal (130, 143, 129).
    with signals_interrupt():
        try:
            app = build_app(args, remember_help=help_words)
            return exit_status(app(args))
        except HarmontError as error:
            return exit_status(int(report(error)))
        except KeyboardInterrupt:  # while plugins load, before a command runs
            return exit_status(int(report(Cancelled("cancelled"))))


def _help_request(args: list[str]) -> list[str] | None:
    """
    The command words of ``hm [WORD...] --help`` (``-h`` too), or None for anything else.

    Only such a request can be answered from the capability index: any option before the
    help flag (``-p no:NAME``...) takes the ordinary path.
    """
    if not args or args[-1] not in ("--help", "-h"):
        return None
    words = args[:-1]
    return None if any(word.startswith("-") for word in words) else words


def console_main() -> NoReturn:
    """
    The `hm` console script: exit with :func:`main`'s code, whatever signal comes late.

    Once :func:`main` has returned there is nothing left to interrupt, but a Ctrl-C (or
    SIGTERM, SIGHUP) can still arrive, typically the second of a cancel that finished
    quickly: raised as KeyboardInterrupt outside :func:`main`, or left to its default
    action, it would end the process by the signal instead of the exit code `hm` decided.
    Ignoring them from here on keeps the status.
    """
    code = main()
    import signal  # here: it imports enum, which `hm --version` and `hm --help` skip

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
