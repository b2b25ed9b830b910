"""
The options `hm run`, `hm render` and `hm debug` share: the steps to pick, their
variables and secrets, and the default runner.

Shared so the commands spell, document and parse them the same way.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

import typer

__all__ = ["EnvOptions", "OnlySteps", "RunnerOption", "SecretOptions"]

#: ``-e KEY=VALUE`` (repeatable): a variable every step gets, over the pipeline's.
EnvOptions: TypeAlias = Annotated[
    list[str] | None,
    typer.Option(
        "-e",
        "--env",
        metavar="KEY=VALUE",
        help="Set a variable in every step, over pipeline and step env (repeatable).",
    ),
]

#: ``--runner NAME``: the runner of steps that name none.
RunnerOption: TypeAlias = Annotated[
    str | None,
    typer.Option(
        "--runner",
        metavar="NAME",
        help="The runner of steps that name none: docker (the default: in "
        "containers), local (shell processes on this machine) or a plugin's.",
    ),
]

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
