"""
`hm config show`, and the settings layer under a command's options.

A command built with ``cls=ConfiguredCommand`` takes every option the command line leaves
unset from the settings (``harmont._settings``): the ``[NAME]`` table of the config files
and the ``HM_KEY`` variables, where NAME is the command and KEY an option's long name with
``_`` for ``-``. The keys and their types are read from the command's own click
parameters, so an option added to `hm run` is configurable with no edit here.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

import typer

# typer 0.27 vendors click under a private name; the version pin keeps this import valid.
from typer._click.core import ParameterSource
from typer._click.exceptions import BadParameter
from typer.core import TyperCommand, TyperOption

# Typer reads this annotation at run time, so it cannot move under TYPE_CHECKING.
from harmont_cli._commands.pipelines import RepoDir  # noqa: TC001
from harmont_cli._help import HelpCommand, HelpGroup

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer._click import Context

    from harmont._settings import Field, Setting, Settings

__all__ = ["ConfiguredCommand", "register"]

#: The option naming the project whose config is read: it cannot come from that config.
_PROJECT_OPTION: Final = "directory"


class ConfiguredCommand(HelpCommand):
    """
    A command whose unset options take their values from the settings files and variables.

    A :class:`~harmont_cli._help.HelpCommand`, so its help reads as every other command's.
    """

    def invoke(self, ctx: Context) -> object:
        # After parsing, so `--help` never reads a file, and `-d DIR` names the project.
        # Every configured command's keys are known, so another's table is no warning here.
        settings = _load(ctx, _configured(ctx))
        options = _options(self)
        for name, setting in settings.table(_table(self)).items():
            param = options[name]
            if ctx.get_parameter_source(str(param.name)) in {ParameterSource.DEFAULT, None}:
                ctx.params[str(param.name)] = setting.value
        return super().invoke(ctx)


def _table(command: TyperCommand) -> str:
    return str(command.name)


def _options(command: TyperCommand) -> dict[str, TyperOption]:
    """The command's settable options by key: the long name, ``-`` as ``_``."""
    options: dict[str, TyperOption] = {}
    for param in command.params:
        if not isinstance(param, TyperOption) or param.name == _PROJECT_OPTION or param.is_eager:
            continue
        long = next((o for o in param.opts if o.startswith("--")), None)
        if long is not None:
            options[long[2:].replace("-", "_")] = param
    return options


def _fields(command: TyperCommand, ctx: Context) -> list[Field]:
    from harmont._settings import Field

    table = _table(command)
    return [
        Field(f"{table}.{key}", _converter(option, ctx), env=f"HM_{key.upper()}")
        for key, option in _options(command).items()
    ]


def _converter(option: TyperOption, ctx: Context) -> Callable[[object], object]:
    """Check a value as the option's own type does, for a message in click's words."""

    def convert(value: object) -> object:
        if option.multiple and isinstance(value, str):
            value = option.type.split_envvar_value(value)
        elif not option.multiple and isinstance(value, (list, dict)):
            raise ValueError(f"expected one value, got {type(value).__name__} {value!r}")
        try:
            return option.type_cast_value(ctx, value)
        except BadParameter as exc:
            raise ValueError(exc.message) from None

    return convert


def _load(ctx: Context, commands: list[TyperCommand]) -> Settings:
    """Every layer for ``commands`` and the plugins; warn once per unknown key."""
    from harmont._settings import PLUGIN_FIELDS, load_settings

    fields = [f for command in commands for f in _fields(command, ctx)]
    project = Path(ctx.params.get(_PROJECT_OPTION) or ".")
    settings = load_settings([*fields, *PLUGIN_FIELDS], project_root=project, env=os.environ)
    for warning in settings.warnings:
        typer.echo(f"warning: {warning}", err=True)
    return settings


def _show(value: object) -> str:
    """A value as TOML writes it; ``unset`` for no value."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if value is None:
        return "unset"
    import json  # only `hm config show` needs it: keep it off `hm --help`

    return json.dumps(value)


def _rows(ctx: Context, settings: Settings) -> list[tuple[str, str, str]]:
    """(key, value, origin) for every option of every configured command, then plugins."""
    rows = []
    for command in _configured(ctx):
        table = settings.table(_table(command))
        for key, option in sorted(_options(command).items()):
            setting: Setting | None = table.get(key)
            if setting is None:
                default = option.default() if callable(option.default) else option.default
                default = () if default is None and option.multiple else default
                rows.append((f"{_table(command)}.{key}", _show(default), "default"))
            else:
                rows.append((setting.key, _show(setting.value), str(setting.origin)))
    rows.extend(
        (s.key, _show(s.value), str(s.origin))
        for s in settings.effective()
        if s.key.startswith("plugins.")
    )
    return rows


def _configured(ctx: Context) -> list[TyperCommand]:
    root = ctx.find_root().command
    assert isinstance(root, typer.core.TyperGroup)  # hm is a group of commands
    found = (root.get_command(ctx, name) for name in root.list_commands(ctx))
    return [c for c in found if isinstance(c, ConfiguredCommand)]


def register(app: typer.Typer) -> None:
    """Add the `hm config` group to ``app``."""
    group = typer.Typer(
        help="Inspect hm's settings (config files and HM_* variables).",
        cls=HelpGroup,
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    app.add_typer(group, name="config")

    @group.command("show", cls=HelpCommand)
    def show_command(ctx: typer.Context, directory: RepoDir = Path()) -> None:
        """
        Print the effective settings and where each came from.

        A value comes from a config file (and line), an HM_* variable, or the default;
        options given on the command line go over all of these.
        """
        settings = _load(ctx, _configured(ctx))
        rows = _rows(ctx, settings)
        width = max((len(f"{k} = {v}") for k, v, _ in rows), default=0)
        for key, value, origin in rows:
            typer.echo(f"{f'{key} = {value}':<{width}}  # {origin}")
