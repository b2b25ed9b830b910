"""
Builders for manifests and their capabilities, with the defaults an author wants.

They return the plain protocol classes of :mod:`harmont.protocol`; nothing here is
needed at run time, it only saves spelling out ``api_version`` and every field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from harmont.protocol import (
    API_VERSION,
    FlagArg,
    HookEventKind,
    HookPhase,
    LifecycleHookSpec,
    OptionArg,
    PluginManifest,
    PositionalArg,
    PositionalListArg,
    StepExecutorSpec,
    SubcommandSpec,
    ValueType,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from harmont.protocol import ArgSpec, Capability, Value

__all__ = [
    "executor",
    "flag",
    "hook",
    "manifest",
    "option",
    "positional",
    "spec_from_command",
    "subcommand",
]

#: The per-call time limit of a hook when the author names none.
DEFAULT_HOOK_TIMEOUT_MS: Final = 5000


def manifest(
    name: str,
    version: str,
    *capabilities: Capability,
    description: str = "",
    config_schema: Value = None,
) -> PluginManifest:
    """
    Build a manifest for the current plugin API version.

    ``name`` must equal the plugin's entry-point name in ``harmont.plugins``.

    .. versionadded:: 2
    """
    return PluginManifest(
        api_version=API_VERSION,
        name=name,
        version=version,
        description=description,
        capabilities=capabilities,
        config_schema=config_schema,
    )


def executor(runner: str, *, default: bool = False, step_schema: Value = None) -> StepExecutorSpec:
    """
    Declare the runner ``runner``; ``default`` also runs steps that name no runner.

    .. versionadded:: 2
    """
    return StepExecutorSpec(runner=runner, default=default, step_schema=step_schema)


def hook(
    events: Iterable[HookEventKind | str],
    *,
    phase: HookPhase | str = HookPhase.AFTER,
    timeout_ms: int = DEFAULT_HOOK_TIMEOUT_MS,
) -> LifecycleHookSpec:
    """
    Subscribe to ``events`` (kinds or their names, e.g. ``"step_end"``) in ``phase``.

    .. versionadded:: 2
    """
    return LifecycleHookSpec(
        events=tuple(HookEventKind(e) for e in events),
        phase=HookPhase(phase),
        timeout_ms=timeout_ms,
    )


def subcommand(
    verb: str, about: str, *args: ArgSpec, subcommands: Iterable[SubcommandSpec] = ()
) -> SubcommandSpec:
    """
    Declare a verb with its arguments and nested verbs.

    .. versionadded:: 2
    """
    return SubcommandSpec(verb=verb, about=about, args=args, subcommands=tuple(subcommands))


def positional(
    name: str,
    *,
    help: str | None = None,
    required: bool | None = None,
    value_type: ValueType = ValueType.STRING,
    many: bool = False,
) -> PositionalArg | PositionalListArg:
    """
    Declare a positional argument, required by default.

    With ``many=True`` it takes every remaining word (``hm VERB a b c``) and the plugin
    gets a list, possibly empty: it must be the verb's last positional, and cannot be
    required. An optional positional that was not given is missing from the ``args``
    object (never null); a ``many`` one is always there.

    .. versionadded:: 2
    .. versionchanged:: 2 ``many``.
    """
    if many:
        if required:
            raise ValueError(
                f"positional '{name}': many=True is a list, possibly empty: not required"
            )
        return PositionalListArg(name=name, help=help, value_type=value_type)
    required = True if required is None else required
    return PositionalArg(name=name, help=help, required=required, value_type=value_type)


def option(
    long: str,
    *,
    short: str | None = None,
    help: str | None = None,
    required: bool = False,
    value_type: ValueType = ValueType.STRING,
    default: str | None = None,
) -> OptionArg:
    """
    Declare a ``--long VALUE`` option; ``default`` is given as a string, like on a shell.

    .. versionadded:: 2
    """
    return OptionArg(
        long=long,
        short=short,
        help=help,
        required=required,
        value_type=value_type,
        default=default,
    )


def flag(long: str, *, short: str | None = None, help: str | None = None) -> FlagArg:
    """
    Declare a boolean ``--long`` switch.

    .. versionadded:: 2
    """
    return FlagArg(long=long, short=short, help=help)


def spec_from_command(command: Any, *, verb: str | None = None) -> SubcommandSpec:
    """
    Derive a :class:`~harmont.protocol.SubcommandSpec` from a click command or a Typer app.

    Lets an author keep one command definition for a standalone CLI and for `hm`. A
    ``help`` subcommand is skipped, and so are hidden parameters and those that never
    reach the command function (help, version, Typer's completion switches). Boolean and
    counting options become flags; click arguments become positionals; everything else
    becomes an option with its default as a string. Integer parameters keep ``int`` (the
    reference made every value a string); anything else is ``string``.

    :param command: a ``click.Command``/``click.Group`` (click or Typer's bundled copy)
        or a ``typer.Typer`` application.
    :param verb: the verb under `hm`; required when the command has no name.
    :raises ValueError: no verb could be determined.

    .. versionadded:: 2
    """
    if hasattr(command, "registered_commands"):  # a typer.Typer application
        import typer

        command = typer.main.get_command(command)
    name = verb or getattr(command, "name", None)
    if not name:
        raise ValueError("spec_from_command: the command has no name; pass verb=")
    about = (getattr(command, "short_help", None) or getattr(command, "help", None) or "").strip()
    args = tuple(arg for param in command.params if (arg := _arg_from_param(param)) is not None)
    children = getattr(command, "commands", {}) or {}
    subcommands = tuple(
        spec_from_command(child, verb=child_name)
        for child_name, child in children.items()
        if child_name != "help"
    )
    return SubcommandSpec(verb=name, about=about, args=args, subcommands=subcommands)


def _arg_from_param(param: Any) -> ArgSpec | None:
    if param.param_type_name == "argument" and param.nargs == -1:
        return PositionalListArg(name=param.name, help=None, value_type=_value_type(param))
    if param.param_type_name == "argument":
        return PositionalArg(
            name=param.name,
            help=None,
            required=bool(param.required),
            value_type=_value_type(param),
        )
    # --help, --version and Typer's completion switches never reach the command function
    # (expose_value=False), so a plugin could not receive them either.
    if not getattr(param, "expose_value", True) or getattr(param, "hidden", False):
        return None
    longs = [o[2:] for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
    shorts = [o[1:] for o in param.opts if len(o) == 2 and o.startswith("-")]
    long = longs[0] if longs else param.name
    short = shorts[0] if shorts else None
    help_text = param.help or None
    if param.is_flag or getattr(param, "count", False):
        return FlagArg(long=long, short=short, help=help_text)
    default = param.default
    if callable(default) or isinstance(default, list | tuple):
        default = None
    return OptionArg(
        long=long,
        short=short,
        help=help_text,
        required=bool(param.required),
        value_type=_value_type(param),
        default=None if default is None else str(default),
    )


def _value_type(param: Any) -> ValueType:
    # click names them "integer"/"integer range"; typer's bundled copy "int"/"int range".
    type_name = getattr(param.type, "name", "")
    is_int = type_name in ("integer", "integer range", "int", "int range")
    return ValueType.INT if is_int else ValueType.STRING
