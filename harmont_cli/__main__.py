"""Console entry point of `hm`: answers ``--version`` early, maps errors to exit codes."""

from __future__ import annotations

import signal
import sys
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

    from harmont._errors import Cancelled, HarmontError
    from harmont._orchestrator._signals import exit_status, forget_signals, signals_interrupt
    from harmont_cli._app import build_app
    from harmont_cli._exit import report

    forget_signals()
    # SIGTERM and SIGHUP stop `hm` as Ctrl-C does, with cleanup; `hm run` handles them
    # itself while it builds. The exit status names the signal (130, 143, 129).
    with signals_interrupt():
        try:
            app = build_app(args)
            return exit_status(app(args))
        except HarmontError as error:
            return exit_status(int(report(error)))
        except KeyboardInterrupt:  # while plugins load, before a command runs
            return exit_status(int(report(Cancelled("cancelled"))))


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
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
