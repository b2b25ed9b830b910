"""
The options of `hm run`, `hm render` and `hm debug` that pick steps and hand them secrets.

Shared so the three commands spell, document and parse them the same way.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

import typer

__all__ = ["OnlySteps", "SecretOptions"]

#: ``--only STEP[,STEP...]`` (repeatable): the steps to build, with what they need.
OnlySteps: TypeAlias = Annotated[
    list[str] | None,
    typer.Option(
        "--only",
        metavar="STEP[,STEP...]",
        help="Only these steps (keys, or labels naming one step) and what they need: "
        "their chain up to them and the steps their waits require; the others are "
        "skipped (repeatable).",
        show_default=False,
    ),
]

#: ``--secret NAME[=VALUE]`` (repeatable): a variable every step gets, never shown.
SecretOptions: TypeAlias = Annotated[
    list[str] | None,
    typer.Option(
        "--secret",
        metavar="NAME[=VALUE]",
        help="Give every step the variable NAME, from VALUE or else from hm's own "
        "environment; its value is shown and stored as *** (repeatable).",
        show_default=False,
    ),
]
