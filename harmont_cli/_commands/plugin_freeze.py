"""`hm plugin freeze|sync`: keep the installed plugin set in a file, and install it again."""

from __future__ import annotations

import os
import sys
from pathlib import Path  # noqa: TC003 (Typer reads the annotations at run time)
from typing import TYPE_CHECKING, Annotated

import typer

from harmont._errors import UsageError
from harmont_cli._help import HelpCommand

if TYPE_CHECKING:
    from harmont_cli._app import AppState

__all__ = ["register"]


def _stderr(text: str) -> None:
    """Progress, warnings and a failed pip's output: on stderr, so stdout holds only the set."""
    sys.stderr.write(text if text.endswith("\n") or not text else f"{text}\n")


def _state(ctx: typer.Context) -> AppState:
    from harmont_cli._commands.plugin import app_state

    return app_state(ctx)


def register(group: typer.Typer) -> None:
    """Add `freeze` and `sync` to the `hm plugin` group."""

    @group.command("freeze", cls=HelpCommand)
    def freeze_command(
        ctx: typer.Context,
        output: Annotated[
            Path | None,
            typer.Option(
                "--output", "-o", metavar="FILE", help="Write the set to FILE, not stdout."
            ),
        ] = None,
    ) -> None:
        """
        Write the installed plugin set as TOML, for `hm plugin sync`.

        The set is each third-party plugin distribution with its exact version and, where
        pip recorded them (a wheel or URL install), its sha256 and URL; and each native
        library of ~/.harmont/plugins with its sha256 and where `hm plugin install` took
        it from. Built-in plugins are not part of it.

        The file begins with `format = 1`; [python.NAME] tables hold version, sha256,
        url and editable, [native.NAME] tables hold sha256 and source. Tables are sorted
        by name, so the same set always gives the same file. An index install has no
        sha256: pip keeps no digest of what it takes from an index. A URL is written
        without its user name and query string, which may hold credentials (a warning
        says so).
        """
        from harmont._plugins._freeze import freeze_plugins
        from harmont._plugins._plugin_set import dump_plugin_set

        plugins = _state(ctx).registry().plugins()
        text = dump_plugin_set(freeze_plugins(plugins, env=os.environ, warn=_warn))
        if output is None:
            typer.echo(text, nl=False)
            return
        # Write then rename: a set that was there is never left half-written.
        partial = output.with_name(f".{output.name}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            partial.replace(output)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise UsageError(
                f"cannot write the plugin set to {output}: {exc.strerror}",
                hint="pass -o a file in a directory that exists and you can write to",
            ) from exc
        _stderr(f"Wrote the plugin set to {output}")

    @group.command("sync", cls=HelpCommand)
    def sync_command(
        ctx: typer.Context,
        file: Annotated[
            Path,
            typer.Argument(
                metavar="FILE",
                help="A plugin set written by `hm plugin freeze`.",
                show_default=False,
            ),
        ],
        exact: Annotated[
            bool,
            typer.Option(
                "--exact", help="Also remove the plugins FILE does not name (never built-ins)."
            ),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", "-n", help="Say what would change; change nothing.")
        ] = False,
        verbose: Annotated[
            bool, typer.Option("--verbose", "-v", help="Show pip's output as it runs.")
        ] = False,
    ) -> None:
        """
        Install the plugin set in FILE into the environment hm runs in.

        What is installed as pinned already is left alone. Every sha256 is checked before
        anything changes: a native library is fetched from its source, hashed and loaded
        in a worker; pip runs with --require-hashes --no-deps over the distributions that
        have a sha256, then as usual over those that have none and every dependency (which
        the set does not pin), with its own configuration (PIP_INDEX_URL,
        PIP_FIND_LINKS...). A mismatch is an error, exit 2, and nothing is installed.
        Nothing is removed unless --exact is given.
        """
        from harmont._plugins._freeze import plan_sync, sync_plugins
        from harmont._plugins._plugin_set import read_plugin_set

        wanted = read_plugin_set(file)
        plugins = _state(ctx).registry().plugins()
        plan = plan_sync(file, wanted, plugins, env=os.environ, exact=exact)
        if dry_run:
            changes = plan.describe()
            typer.echo("\n".join(f"would {line}" for line in changes) or "nothing to change")
            return
        sync_plugins(file, plan, progress=_stderr, pip_output=_stderr, verbose=verbose)
        changed = len(plan.python) + len(plan.native) + len(plan.removals)
        typer.echo(f"Synced {file}: {changed} changed, {len(plan.unchanged)} already as pinned")


def _warn(message: str) -> None:
    _stderr(f"warning: {message}")
