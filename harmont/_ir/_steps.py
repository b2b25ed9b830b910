"""
The parts of IR validation both wire forms share: a command step's own fields, and the
checks over the whole DAG (duplicate keys, dangling references, cycles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harmont._errors import InvalidIR
from harmont._ir._json import CONTROL, Fields, check_value, describe, show_text
from harmont.protocol import CacheSpec, CommandStep

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from harmont._ir._model import PipelineIR

__all__ = [
    "CACHE_FIELDS",
    "COMMAND_FIELDS",
    "check_acyclic",
    "command_step",
    "expect_version",
    "step_key",
    "unique_keys",
]


#: The fields of a command step in both forms (the flat form adds type, builds_in, env).
COMMAND_FIELDS: Final = frozenset(
    {"key", "cmd", "label", "image", "timeout_seconds", "cache", "runner", "runner_args"}
)
#: The fields of a cache object: the host reads policy and key; the DSL writes the rest.
CACHE_FIELDS: Final = frozenset(
    {"policy", "key", "env_keys", "duration_seconds", "paths", "sub_policies"}
)


def step_key(fields: Fields) -> str:
    """Return the step's ``key``: a non-empty string without control characters."""
    # Keys are printed as log prefixes and status lines: a control character in one
    # would let a document forge output lines or drive the terminal.
    key = fields.name("key")
    found = CONTROL.search(key)
    if found is not None:
        raise fields.fail(
            f"'key' {show_text(key)} contains the control character "
            f"U+{ord(found.group()):04X}; keys are printed in output lines, use visible "
            "characters (letters, digits, '-', '_')"
        )
    return key


def _cache(fields: Fields) -> CacheSpec | None:
    raw = fields.raw("cache")
    if raw is None:
        return None
    cache = Fields(raw, where=f"{fields.where} cache")
    cache.known(CACHE_FIELDS)
    return CacheSpec(policy=cache.name("policy"), key=cache.string("key"))


def command_step(
    fields: Fields, *, key: str, builds_in: str | None, env: dict[str, str] | None
) -> CommandStep:
    """
    Build the :class:`CommandStep` described by ``fields``.

    ``builds_in`` and ``env`` are passed in because the two forms keep them in different
    places (the flat form on the step, the graph form on edges and on the node).
    """
    runner_args = fields.raw("runner_args")
    if runner_args is not None:
        check_value(runner_args, where=fields.where, name="runner_args")
    cmd = fields.text("cmd")
    if "\0" in cmd:
        raise fields.fail(
            f"'cmd' contains a NUL character at character {cmd.index(chr(0))}, which no "
            "shell can be given; remove it"
        )
    return CommandStep(
        key=key,
        cmd=cmd,
        label=fields.string("label"),
        builds_in=builds_in,
        image=fields.string("image"),
        env=env,
        timeout_seconds=fields.seconds("timeout_seconds"),
        cache=_cache(fields),
        runner=fields.string("runner"),
        runner_args=runner_args,
    )


def unique_keys(keyed: Iterable[tuple[str, str]]) -> None:
    """
    Reject two steps with one key.

    :param keyed: ``(key, where)`` pairs in document order.
    """
    first: dict[str, str] = {}
    for key, where in keyed:
        if key in first:
            raise InvalidIR(
                f"{where}: duplicate step key {key!r}, already used by {first[key]}; "
                "give every step a unique key",
                where=where,
            )
        first[key] = where


def check_acyclic(ir: PipelineIR, *, where_of: Mapping[str, str]) -> None:
    """
    Reject a cycle over ``builds_in`` and dependencies, naming every step on it.

    A wait is one node of the search between the steps before it and those after it, so
    the search stays linear in the steps however many dependencies the wait stands for.

    :param where_of: for each key, the place to name in the error (``node 2``...).
    """
    # Steps are their keys; a wait is ("wait", n), which no key can equal.
    successors: dict[str | tuple[str, int], list[str | tuple[str, int]]] = {}
    order: list[str] = []
    for step in ir.steps:
        order.append(step.key)
        successors.setdefault(step.key, [])
        if step.builds_in is not None:
            successors.setdefault(step.builds_in, []).append(step.key)
    for index, (waiting, after, _) in enumerate(ir.dependency_groups()):
        if len(waiting) == 1 and len(after) == 1:
            successors.setdefault(after[0], []).append(waiting[0])
            continue
        barrier = ("wait", index)
        successors[barrier] = list(waiting)
        for key in after:
            successors.setdefault(key, []).append(barrier)

    # Iterative depth-first search: an explicit stack keeps deep chains off Python's
    # recursion limit. A grey node met again closes a cycle; the stack holds its path.
    white, grey, black = 0, 1, 2
    colour: dict[str | tuple[str, int], int] = dict.fromkeys(order, white)
    for root in order:
        if colour[root] != white:
            continue
        colour[root] = grey
        path: list[str | tuple[str, int]] = [root]
        stack = [iter(successors[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
            elif colour.get(nxt, white) == grey:
                keys = [node for node in path[path.index(nxt) :] if isinstance(node, str)]
                shown = " -> ".join(repr(key) for key in [*keys, keys[0]])
                where = where_of.get(keys[0], f"step {keys[0]!r}")
                raise InvalidIR(
                    f"{where}: cycle {shown}; a step cannot wait for itself, "
                    "remove one of these edges",
                    where=where,
                )
            elif colour.get(nxt, white) == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(successors[nxt]))


def expect_version(fields: Fields) -> None:
    """Require ``"version": "0"``."""
    if "version" not in fields or fields.raw("version") is None:
        raise fields.fail('missing "version": add "version": "0"')
    version = fields.raw("version")
    if version != "0":
        raise fields.fail(f'unsupported IR version {describe(version)}: this hm reads version "0"')
