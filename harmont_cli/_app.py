"""
The Typer application behind `hm`.

Each command parses its arguments, makes one library call and renders the result; logic
that a command needs and the library lacks belongs in the library.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

# typer 0.27 vendors click under a private name; the version pin keeps this import valid.
from typer._click.core import Context
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from harmont._errors import Cancelled, HarmontError, UsageError
from harmont._plugins._manager import BUILTIN_VERBS, PluginStatus
from harmont_cli._exit import report
from harmont_cli._help import HelpGroup, closest, exit_code_section, usage_error

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from typer._click import Command, HelpFormatter

    from harmont import Registry
    from harmont._plugins._capability_index import HelpStamp

__all__ = ["AppState", "build_app", "scan_global_plugin_options", "warnings_to_stderr"]

_HELP = "hm: run Harmont CI pipelines locally."


class AppState:
    """
    What every command of one `hm` invocation shares: the plugins to skip, the registry.

    Commands reach it as ``ctx.obj``. The registry is loaded on first use, so built-in
    commands that need no plugin (`hm render`) never import one.
    """

    def __init__(self, *, disabled: frozenset[str]) -> None:
        self.disabled = disabled
        self._registry: Registry | None = None

    def registry(self) -> Registry:
        """The plugin registry of this invocation (no-op host), loaded once."""
        if self._registry is None:
            from harmont import load_registry

            # `hm run` shows warnings through its renderer; other commands on stderr.
            with warnings_to_stderr():
                self._registry = load_registry(disabled=self.disabled)
        return self._registry

    @property
    def loaded_registry(self) -> Registry | None:
        """The registry if a command loaded it, else None (asking never loads it)."""
        return self._registry

    def close(self) -> None:
        """Close the registry (and its host) if it was loaded."""
        if self._registry is not None:
            self._registry.close()


class _WarningsToStderr(logging.Handler):
    """harmont's warnings as ``warning:`` lines on stderr, as errors are ``error:`` lines."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"warning: {record.getMessage()}\n")


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Show harmont's warnings as ``warning:`` lines on stderr while the block runs."""
    handler = _WarningsToStderr()
    logger = logging.getLogger("harmont")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def scan_global_plugin_options(args: Sequence[str]) -> tuple[frozenset[str], str | None]:
    """
    Read the ``-p no:NAME`` options before the command word; return them and the word.

    They must be known before the command tree is built, because a disabled plugin must
    not even be imported to add its verbs. click parses them again (and documents them)
    on the root command.

    :raises UsageError: a ``-p`` value that is not ``no:NAME``.
    """
    disabled: set[str] = set()
    index = 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("-"):
            return frozenset(disabled), arg
        index += 1
        if arg == "-p":
            if index == len(args):
                break  # click reports the missing value
            value, index = args[index], index + 1
        elif arg.startswith("-p"):
            value = arg[2:]
        else:
            continue
        if not value.startswith("no:") or value == "no:":
            raise UsageError(f"-p expects no:NAME to disable a plugin, got '{value}'")
        disabled.add(value[3:])
    return frozenset(disabled), None


class _RootGroup(HelpGroup):
    """
    The `hm` group: an unknown command word is one `error:` line, exit 2; Ctrl-C in a
    command is :class:`~harmont.Cancelled`, reported as every error is, exit 130. Its
    help ends with the exit codes.
    """

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        exit_code_section(formatter)

    def invoke(self, ctx: Context) -> object:
        # Left to Typer, a KeyboardInterrupt becomes a bare exit 130 with nothing said.
        # A build never gets here: it handles Ctrl-C itself and returns its exit code.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Cancelled("cancelled") from None

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            commands = sorted(self.list_commands(ctx))
            near = closest(args[0], commands)
            install = "a plugin may provide it: `hm plugin install SOURCE`"
            raise UsageError(
                f"unknown command '{args[0]}' (available: {', '.join(commands)})",
                hint=f"did you mean '{near}'? ({install})" if near is not None else install,
            )
        return super().resolve_command(ctx, args)


def _print_version(value: bool) -> None:
    """Answer ``--version`` when it follows other global options (alone, __main__ answers it)."""
    if value:
        from harmont._version import __version__

        typer.echo(f"hm {__version__}")
        raise typer.Exit(0)


def build_app(
    args: Sequence[str] = (), *, remember_help: Sequence[str] | None = None
) -> Callable[[list[str]], int]:
    """
    Build the `hm` command tree for ``args`` and return a callable that runs it.

    Plugin verbs are added (which loads the plugins' manifests) unless ``args`` names a
    built-in command. The callable returns the exit code instead of exiting, so tests
    and embedders can call it in-process.

    :param remember_help: the command words of a ``hm [WORD...] --help`` request: once
        it has been answered, its help goes into the capability index, so the next such
        request is answered without building anything.

    :raises HarmontError: a bad ``-p`` option, or plugins that conflict (exit 5).
    """
    from harmont_cli import _commands

    disabled, verb = scan_global_plugin_options(args)
    state = AppState(disabled=disabled)
    app = typer.Typer(
        cls=_RootGroup,
        help=_HELP,
        # Plain click help: rich's help renderer costs ~45 ms of imports on every
        # `hm --help`, more than the rest of the command tree (bench/startup.py).
        rich_markup_mode=None,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        plugin_options: Annotated[
            list[str] | None,
            typer.Option(
                "-p",
                metavar="no:NAME",
                help="Do not load the plugin NAME (repeatable; see also HM_DISABLE_PLUGINS).",
            ),
        ] = None,
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                is_eager=True,
                callback=_print_version,
                help="Print the hm version and exit.",
            ),
        ] = False,
    ) -> None:
        """hm: run Harmont CI pipelines locally."""

    _commands.register(app, verb)
    command = typer.main.get_command(app)
    stamp = None
    if verb is None or verb not in BUILTIN_VERBS:
        assert isinstance(command, TyperGroup)  # the app has several commands
        # Taken before the plugins load, so that one installed meanwhile leaves it stale.
        stamp = _help_stamp() if remember_help is not None else None
        from harmont_cli._plugin_verbs import add_plugin_verbs

        add_plugin_verbs(command, state.registry())

    def run(args: list[str]) -> int:
        try:
            result = command.main(args=args, prog_name="hm", standalone_mode=False, obj=state)
        except HarmontError as error:
            return int(report(error))
        except typer.Exit as done:
            return int(done.exit_code)
        except typer.Abort:  # a confirmation answered no, or end of input at a prompt
            return int(report(Cancelled("cancelled")))
        except ClickException as error:  # usage errors from the parser
            return int(report(usage_error(error)))
        finally:
            state.close()
        if stamp is not None and remember_help is not None and result == 0:
            _remember_help(command, state, remember_help, stamp)
        return int(result) if isinstance(result, int) else 0

    return run


def _help_stamp() -> HelpStamp:
    from harmont._plugins._capability_index import help_stamp
    from harmont._plugins._discovery import native_dirs

    return help_stamp(native_dirs(env=os.environ, project_root=Path.cwd()))


def _remember_help(
    command: Command, state: AppState, words: Sequence[str], stamp: HelpStamp
) -> None:
    """
    Put the help of ``hm <words>`` into the capability index, if it can be cached.

    Only the root help and plugin verbs' help are: built-in commands' help is cheap to
    build without any plugin. Nothing is cached from a registry with a broken plugin,
    so that every run reports it as it always did.
    """
    from harmont._plugins._capability_index import store_help

    registry = state.loaded_registry
    if registry is None or (words and words[0] in BUILTIN_VERBS):
        return
    if any(info.status is PluginStatus.BROKEN for info in registry.plugins()):
        return
    text = _help_text(command, words)
    if text is None:
        return
    import harmont_cli

    package = Path(harmont_cli.__file__).parent
    files = [str(path) for path in package.rglob("*.py")]
    files += [file for plugin in registry.plugin_manager.get_plugins() if (file := _source(plugin))]
    store_help(words, text + "\n", stamp=stamp, files=files)


def _help_text(command: Command, words: Sequence[str]) -> str | None:
    """What ``hm <words> --help`` prints (without its last newline); None for no command."""
    ctx = Context(command, info_name="hm", **command.context_settings)
    for word in words:
        found = command.get_command(ctx, word) if isinstance(command, TyperGroup) else None
        if found is None:
            return None
        command = found
        ctx = Context(command, info_name=word, parent=ctx, **command.context_settings)
    return ctx.get_help()


def _source(plugin: object) -> str | None:
    """The file that defines *plugin* (a module, or an object of a class), if it has one."""
    module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(type(plugin).__module__)
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) else None
