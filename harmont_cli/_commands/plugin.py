"""`hm plugin list|info|install|remove`: see, inspect, add and remove plugins."""

from __future__ import annotations

import enum
import json
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from harmont._errors import UsageError
from harmont_cli._commands import plugin_check, plugin_freeze
from harmont_cli._help import HelpCommand, HelpGroup

if TYPE_CHECKING:
    from harmont import PluginInfo
    from harmont_cli._app import AppState

__all__ = ["app_state", "format_plugin_table", "register"]


def _stderr(text: str) -> None:
    """Show *text* on stderr: progress, and pip's output (of a failed run) before hm's error."""
    sys.stderr.write(text if text.endswith("\n") or not text else f"{text}\n")


class ListFormat(enum.Enum):
    """Output of `hm plugin list`."""

    HUMAN = "human"
    JSON = "json"


def register(app: typer.Typer) -> None:
    """Add the `hm plugin` group to ``app``."""
    group = typer.Typer(
        help="List, inspect, install, remove, check, freeze and sync plugins.",
        no_args_is_help=True,
        rich_markup_mode=None,
        cls=HelpGroup,
    )
    app.add_typer(group, name="plugin")

    @group.command("list", cls=HelpCommand)
    def list_command(
        ctx: typer.Context,
        output: Annotated[
            ListFormat,
            typer.Option(
                "--format", metavar="human|json", help="human (a table) or json (one array)."
            ),
        ] = ListFormat.HUMAN,
    ) -> None:
        """List every plugin found: loaded, broken or disabled."""
        plugins = app_state(ctx).registry().plugins()
        if output is ListFormat.JSON:
            typer.echo(json.dumps([p.to_data() for p in plugins], indent=2))
            return
        typer.echo(format_plugin_table(plugins), nl=False)

    @group.command("info", cls=HelpCommand)
    def info_command(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(metavar="NAME", help="The plugin's name.")],
    ) -> None:
        """Print a loaded plugin's manifest as JSON."""
        from harmont.protocol import to_dict

        registry = app_state(ctx).registry()
        try:
            manifest = registry.manifest(name)
        except UsageError as exc:
            loaded = ", ".join(m.name for m in registry.manifests()) or "none"
            raise UsageError(exc.message, hint=f"loaded plugins: {loaded}") from exc
        typer.echo(json.dumps(to_dict(manifest), indent=2, ensure_ascii=False))

    @group.command("install", cls=HelpCommand)
    def install_command(
        source: Annotated[
            str,
            typer.Argument(
                metavar="SOURCE",
                help="A Python distribution (a name, a wheel, an sdist or a project "
                "directory), a native plugin library (a .so built against "
                "harmont_plugin.h or the harmont-plugin crate), or an https:// URL of a "
                "file (with --pin).",
                show_default=False,
            ),
        ],
        pin: Annotated[
            str | None,
            typer.Option("--pin", metavar="SHA256", help="Expected SHA-256 of the file."),
        ] = None,
        verbose: Annotated[
            bool,
            typer.Option("--verbose", "-v", help="Show pip's output as it runs."),
        ] = False,
    ) -> None:
        """
        Install a plugin into the environment hm runs in.

        A Python distribution goes through pip (its output is shown only if it fails, or
        with -v) and is uninstalled again if it declares no harmont plugin. A native
        library is loaded in a worker process and its manifest checked, then copied to
        ~/.harmont/plugins/NAME.so.
        """
        from harmont._plugins._install import install_plugin

        installed = install_plugin(
            source, pin=pin, pip_output=None if verbose else _stderr, progress=_stderr
        )
        if installed.plugins:
            typer.echo(f"Installed {installed.target}: plugins {', '.join(installed.plugins)}")
        else:
            typer.echo(f"Installed {installed.target}; its plugins were installed already")

    @group.command("remove", cls=HelpCommand)
    def remove_command(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(metavar="NAME", help="The plugin's name.")],
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")
        ] = False,
    ) -> None:
        """Uninstall a plugin's distribution, or delete a native plugin's library."""
        from harmont._plugins._install import plan_removal, remove_plugin

        removal = plan_removal(name, app_state(ctx).registry().plugins())
        what = (
            f"distribution '{removal.distribution}' (plugins: {', '.join(removal.plugins)})"
            if removal.distribution is not None
            else f"file {removal.path}"
        )
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"removing {what} needs confirmation", hint="pass --yes to confirm"
                )
            typer.confirm(f"Remove {what}?", abort=True)
        remove_plugin(removal)
        typer.echo(f"Removed {what}")

    plugin_check.register(group)
    plugin_freeze.register(group)


def format_plugin_table(plugins: list[PluginInfo]) -> str:
    """
    Render `hm plugin list` as plain aligned text, one row per plugin.

    A plugin that did not load gets an indented second line with the reason. Plain text
    rather than rich: it is read by people and by grep alike, and costs no import.
    """
    if not plugins:
        from harmont._plugins._discovery import user_plugin_dir

        return (
            "No plugins installed.\n\n"
            "Python plugins are distributions with a `harmont.plugins` entry point;\n"
            f"native plugins live in {user_plugin_dir(os.environ)} and ./.harmont/plugins.\n\n"
            "Install one with `hm plugin install <name-or-path>`.\n"
        )
    header = ("name", "version", "kind", "status", "capabilities", "source")
    rows = [
        (
            p.name + (" (builtin)" if p.builtin else ""),
            p.version or "-",
            p.kind,
            p.status.value,
            ", ".join(p.capabilities) or "-",
            p.source,
        )
        for p in plugins
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row, plugin in zip((header, *rows), (None, *plugins), strict=True):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if plugin is not None and plugin.error:
            lines.append(f"    error: {plugin.error}")
    return "\n".join(lines) + "\n"


def app_state(ctx: typer.Context) -> AppState:
    """The :class:`AppState` of the running `hm` invocation."""
    from harmont_cli._app import AppState

    state = ctx.find_root().obj
    assert isinstance(state, AppState), "hm commands run under build_app()"
    return state
