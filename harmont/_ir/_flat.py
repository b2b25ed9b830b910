"""
The flat form of the IR (docs/ir.md): a list of command and wait steps.

``{"version": "0", "env"?, "default_image"?, "timeout_seconds"?, "steps": [...]}``, where a
command step names its parent with ``builds_in`` and a ``{"type": "wait"}`` step is a
barrier between stages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harmont._errors import InvalidIR
from harmont._ir._json import Fields, describe
from harmont._ir._model import PipelineIR, WaitBarrier
from harmont._ir._steps import (
    COMMAND_FIELDS,
    check_acyclic,
    command_step,
    step_key,
    unique_keys,
)

if TYPE_CHECKING:
    from harmont.protocol import CommandStep

__all__ = ["parse_flat"]

_DOCUMENT_FIELDS: Final = frozenset({"version", "env", "default_image", "timeout_seconds", "steps"})
_STEP_FIELDS: Final = COMMAND_FIELDS | {"type", "builds_in", "env"}
_WAIT_FIELDS: Final = frozenset({"type", "continue_on_failure"})


def parse_flat(document: Fields) -> PipelineIR:
    """
    Load a flat-form document whose version has been checked.

    A wait splits the steps into stages. Every step of a stage depends on every step of
    the stage before it, as the DSL's graph form has it; consecutive waits act as one, which
    lets the steps after it run despite failures only if every one of them says
    ``continue_on_failure``. The reference host made each step depend on *all* earlier
    steps and ignored ``continue_on_failure``; ordering is the same,
    and the flag now means what it says.
    """
    document.known(_DOCUMENT_FIELDS)
    env = document.environment("env") or {}
    default_image = document.string("default_image")
    timeout_seconds = document.seconds("timeout_seconds")
    steps: list[CommandStep] = []
    waits: list[WaitBarrier] = []
    keyed: list[tuple[str, str]] = []
    where_of: dict[str, str] = {}

    previous: list[str] = []  # the stage the current one waits for
    current: list[str] = []
    requires_success = True

    for index, raw in enumerate(document.array("steps", required=True)):
        fields = Fields(raw, where=f"steps[{index}]")
        kind = fields.raw("type")
        fields.known(_WAIT_FIELDS if kind == "wait" else _STEP_FIELDS)
        if kind == "wait":
            continues = fields.boolean("continue_on_failure", default=False)
            if current:
                if previous:
                    waits.append(
                        WaitBarrier(
                            steps=tuple(current),
                            after=tuple(previous),
                            requires_success=requires_success,
                        )
                    )
                previous, current = current, []
                requires_success = not continues
            else:  # a run of waits: any one of them that stops on failure wins
                requires_success = requires_success or not continues
            continue
        if kind != "command":
            raise fields.fail(
                f'\'type\' must be "command" or "wait", got {describe(kind)}'
                if kind is not None
                else 'missing \'type\': add "type": "command" or "type": "wait"'
            )
        key = step_key(fields)
        keyed.append((key, fields.where))
        fields.where = where_of[key] = f"step {key!r}"
        steps.append(
            command_step(
                fields,
                key=key,
                builds_in=fields.string("builds_in"),
                env=fields.environment("env"),
            )
        )
        current.append(key)
    if previous and current:
        waits.append(
            WaitBarrier(
                steps=tuple(current), after=tuple(previous), requires_success=requires_success
            )
        )

    unique_keys(keyed)
    known = {step.key for step in steps}
    for step in steps:
        if step.builds_in is not None and step.builds_in not in known:
            where = where_of[step.key]
            raise InvalidIR(
                f"{where}: builds_in references unknown step {step.builds_in!r}; "
                "name the key of another step, or drop builds_in to start from an image",
                where=where,
            )
    ir = PipelineIR(
        steps=tuple(steps),
        dependencies=tuple(waits),
        env=env,
        default_image=default_image,
        timeout_seconds=timeout_seconds,
    )
    check_acyclic(ir, where_of=where_of)
    return ir
