"""
Plugin verbs: each plugin's ``SubcommandSpec`` tree as click commands under `hm`.

The specs become real click commands before argv is parsed, so `hm` parses a plugin
verb exactly once, `hm --help` lists plugin verbs beside the built-ins,
and help and usage errors come from the same parser as everywhere else.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Final

# typer 0.27 vendors click under a private name; the version pin keeps these imports valid.
from typer._click.globals import get_current_context
from typer._click.types import IntRange
from typer.core import TyperArgument, TyperGroup, TyperOption

from harmont.protocol import (
    FlagArg,
    OptionArg,
    PositionalArg,
    PositionalListArg,
    SubcommandInput,
    ValueType,
)
from harmont_cli._help import HelpCommand, HelpGroup

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer._click import Command, Context, Parameter

    from harmont import Registry
    from harmont.protocol import ArgSpec, SubcommandSpec, Value

__all__ = ["add_plugin_verbs", "command_for_spec", "harmont_env"]


class _I64(IntRange):
    """Plugin ints are i64 on the wire; the parser checks the range ("not a valid integer")."""

    name = "integer"


_I64_TYPE: Final = _I64(-(2**63), 2**63 - 1)
_ENV_PREFIX: Final = "HARMONT_"
#: Help is plain click text, as for the built-ins: rich's renderer is slow to import.
_MARKUP: Final = None


def add_plugin_verbs(group: TyperGroup, registry: Registry) -> None:
    """Add a command to ``group`` for every plugin verb of ``registry``."""
    for plugin, spec in registry.subcommands():

        def invoke(verb_path: tuple[str, ...], args: dict[str, Value], plugin: str = plugin) -> int:
            return run_plugin_verb(registry, plugin, verb_path, args)

        group.add_command(command_for_spec(spec, invoke, plugin=plugin))


def run_plugin_verb(
    registry: Registry, plugin: str, verb_path: tuple[str, ...], args: dict[str, Value]
) -> int:
    """Call the plugin's ``hm_run_subcommand``; print its message and return its exit code."""
    subcommand_input = SubcommandInput(verb_path=verb_path, args=args, env=harmont_env())
    context = registry.host.context(plugin)
    exit_info = registry.run_subcommand(verb_path[0], context, subcommand_input)
    if exit_info.message is not None:
        sys.stderr.write(exit_info.message + "\n")
        sys.stderr.flush()
    return exit_info.exit_code


def harmont_env() -> dict[str, str]:
    """Every ``HARMONT_*`` variable of the process environment (docs/protocol.md)."""
    return {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIX)}


def command_for_spec(
    spec: SubcommandSpec,
    invoke: Callable[[tuple[str, ...], dict[str, Value]], int],
    *,
    plugin: str,
    top: bool = True,
) -> Command:
    """
    Build the click command of ``spec`` (recursively for its subcommands).

    A spec with subcommands becomes a group; if it also has arguments of its own it can
    be invoked without a subcommand, otherwise a subcommand is required.
    """
    params = [_param(arg) for arg in spec.args]
    # click turns `dry-run` into the identifier `dry_run`; plugins get the declared name.
    keys = {param.name: _declared_name(arg) for param, arg in zip(params, spec.args, strict=True)}
    help_text = f"{spec.about}\n\nProvided by the plugin '{plugin}'."
    # `hm --help` lists plugin verbs beside the built-ins, marked with their plugin.
    short_help = f"{spec.about} (plugin {plugin})" if top else None
    if not spec.subcommands:

        def leaf(**_: object) -> int:
            return _invoke(get_current_context(), invoke, keys)

        return HelpCommand(
            spec.verb,
            params=params,
            callback=leaf,
            help=help_text,
            short_help=short_help,
            rich_markup_mode=_MARKUP,
        )

    def node(**_: object) -> int | None:
        ctx = get_current_context()
        if ctx.invoked_subcommand is None:
            return _invoke(ctx, invoke, keys)
        return None

    group = HelpGroup(
        name=spec.verb,
        params=params,
        callback=node,
        help=help_text,
        short_help=short_help,
        rich_markup_mode=_MARKUP,
        invoke_without_command=bool(spec.args),
        no_args_is_help=not spec.args,
    )
    for child in spec.subcommands:
        group.add_command(command_for_spec(child, invoke, plugin=plugin, top=False))
    return group


def _invoke(
    ctx: Context,
    invoke: Callable[[tuple[str, ...], dict[str, Value]], int],
    keys: dict[str | None, str],
) -> int:
    """Collect the verb path from the context chain and the leaf's parsed arguments."""
    path: list[str] = []
    node: Context | None = ctx
    while node is not None and node.parent is not None:  # the root is `hm` itself
        path.append(node.info_name or "")
        node = node.parent
    # An absent optional argument is left out, never null; a positional list arrives
    # as a list, possibly empty.
    args: dict[str, Value] = {
        keys[name]: list(value) if isinstance(value, tuple) else value
        for name, value in ctx.params.items()
        if name in keys and value is not None
    }
    return invoke(tuple(reversed(path)), args)


def _declared_name(arg: ArgSpec) -> str:
    return arg.name if isinstance(arg, PositionalArg | PositionalListArg) else arg.long


def _param(arg: ArgSpec) -> Parameter:
    if isinstance(arg, PositionalArg):
        return TyperArgument(
            param_decls=[arg.name],
            required=arg.required,
            type=_type(arg.value_type),
            help=arg.help,
            metavar=arg.name.upper(),
        )
    if isinstance(arg, PositionalListArg):
        return TyperArgument(
            param_decls=[arg.name],
            required=False,
            nargs=-1,
            type=_type(arg.value_type),
            help=arg.help,
            metavar=f"[{arg.name.upper()}]...",
        )
    if isinstance(arg, OptionArg):
        decls = [f"--{arg.long}", *([f"-{arg.short}"] if arg.short else [])]
        return TyperOption(
            param_decls=decls,
            required=arg.required,
            type=_type(arg.value_type),
            default=arg.default,
            help=arg.help,
            show_default=arg.default is not None,
        )
    assert isinstance(arg, FlagArg)
    decls = [f"--{arg.long}", *([f"-{arg.short}"] if arg.short else [])]
    return TyperOption(param_decls=decls, is_flag=True, default=False, help=arg.help)


def _type(value_type: ValueType) -> object:
    # bool stays a string, as the reference host parses it (docs/protocol.md).
    return _I64_TYPE if value_type is ValueType.INT else str
