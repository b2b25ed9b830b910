"""The built-in commands of `hm`, one module each, registered on the Typer app here."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from harmont._plugins._manager import BUILTIN_VERBS

if TYPE_CHECKING:
    import typer

__all__ = ["BUILTIN_VERBS", "register"]

#: The command modules, in the order `hm --help` lists them.
_MODULES: Final = (
    "version",
    "pipelines",
    "render",
    "plugin",
    "run",
    "debug",
    "cache",
    "init",
    "config",
    "trace",
)

#: The modules a verb needs besides its own: `hm config` shows the keys of every command
#: that reads the settings, `hm run` alone (a test in tests/cli fails if one is missing).
_ALSO_NEEDED: Final = {"config": ("run",)}


def register(app: typer.Typer, verb: str | None = None) -> None:
    """
    Add the built-in commands to ``app``: every one, or only those ``verb`` needs.

    Typer turns each registered function into a click command up front (reading its
    signature and type hints), so a command line naming a built-in verb registers that
    verb alone, and neither imports nor converts the others.
    """
    wanted = {verb, *_ALSO_NEEDED.get(verb or "", ())} if verb in _MODULES else set(_MODULES)
    for name in _MODULES:
        if name in wanted:
            importlib.import_module(f"{__name__}.{name}").register(app)
