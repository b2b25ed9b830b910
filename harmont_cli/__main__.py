"""Console entry point of `hm`: answers ``--version`` early, maps errors to exit codes."""

from __future__ import annotations

import gc
import sys

# Not `typing.TYPE_CHECKING`: `hm --version` stays free of typing's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["console_main", "main"]

#: Whether this process is the `hm` console script, whose objects all live until it exits,
#: rather than a program that calls :func:`main` (a test, an embedder) and lives on.
_whole_process = False


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

    with _StartUp():
        from harmont._errors import Cancelled, HarmontError
        from harmont._orchestrator._signals import exit_status, forget_signals, signals_interrupt
        from harmont_cli._app import build_app
        from harmont_cli._exit import report

    forget_signals()
    # SIGTERM and SIGHUP stop `hm` as Ctrl-C does, with cleanup; `hm run` handles them
    # itself while it builds. The exit status names the signal (130, 143, 129).
    with signals_interrupt():
        try:
            with _StartUp():
                app = build_app(args, remember_help=help_words)
            return exit_status(app(args))
        except HarmontError as error:
            return exit_status(int(report(error)))
        except KeyboardInterrupt:  # while plugins load, before a command runs
            return exit_status(int(report(Cancelled("cancelled"))))


class _StartUp:
    """
    Around a stage of start-up in the `hm` process: no cyclic garbage collection while it
    runs, and what it loaded set aside from every later collection.

    Start-up imports the modules and builds the command tree: tens of thousands of objects
    that live until `hm` exits, which the collector would otherwise walk at each collection
    of their generation while they are allocated and later, only to find them alive:
    several milliseconds of every start. ``gc.freeze`` takes the whole heap, so a program
    that calls :func:`main` (a test, an embedder), whose other objects may die, keeps its
    collector as it is.
    """

    def __enter__(self) -> None:
        self._paused = _whole_process and gc.isenabled()
        if self._paused:
            gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._paused:
            gc.freeze()
            gc.enable()


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
    global _whole_process  # noqa: PLW0603 - set once, by the process's entry point
    _whole_process = True
    code = main()
    import signal  # here: it imports enum, which `hm --version` and `hm --help` skip

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    # The interpreter's exit clears every module and then looks for garbage cycles through
    # everything `hm` loaded, which after a build costs more than the rest of the exit.
    # Frozen objects are left for the end of the process: none of them is owed a __del__
    # at exit (Python does not promise one to objects still alive then), and exit
    # handlers and weakref finalizers run as ever.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console_main()
