"""
The graph form of the IR: what the DSL emits (petgraph's serde layout of a directed graph).

``{"version": "0", "timeout_seconds"?, "graph": {"nodes": [{"step": {...}, "env": {...}}],
"node_holes": [], "edge_property": "directed", "edges": [[from, to, kind], ...]}}``

Edges name nodes by index. ``builds_in`` makes ``to`` start from ``from``'s end state;
``depends_on`` makes ``to`` wait until ``from`` has succeeded. harmont also reads a third
kind, ``after``: ``to`` waits until ``from`` has finished, whatever its outcome, which is
how a wait with ``continue_on_failure`` is written in this form (the reference DSL drops
the flag here; a runner that does not know ``after`` rejects it rather than ignore it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import InvalidIR
from harmont._ir._json import Fields, describe
from harmont._ir._model import Dependency, PipelineIR
from harmont._ir._steps import (
    COMMAND_FIELDS,
    check_acyclic,
    command_step,
    step_key,
    unique_keys,
)

if TYPE_CHECKING:
    from harmont.protocol import CommandStep

__all__ = ["EDGE_KINDS", "parse_graph"]

_DOCUMENT_FIELDS: Final = frozenset({"version", "timeout_seconds", "graph"})
_GRAPH_FIELDS: Final = frozenset({"nodes", "node_holes", "edge_property", "edges"})
_NODE_FIELDS: Final = frozenset({"step", "env"})

#: Edge kinds, each mapped to whether ``to`` needs ``from`` to have succeeded (None:
#: ``builds_in``, which always does and is not a dependency of the model).
EDGE_KINDS: Final[dict[str, bool | None]] = {
    "builds_in": None,
    "depends_on": True,
    "after": False,
}


def _edge(raw: object, *, where: str, node_count: int) -> tuple[int, int, str]:
    shape = "an array [from, to, kind]"
    if not isinstance(raw, list) or len(raw) != 3:
        got = f"an array of {len(raw)} items" if isinstance(raw, list) else describe(raw)
        raise InvalidIR(f"{where}: expected {shape}, got {got}", where=where)
    source, target, kind = raw
    for role, index in (("source", source), ("target", target)):
        if isinstance(index, bool) or not isinstance(index, int):
            raise InvalidIR(
                f"{where}: the {role} must be a node index, got {describe(index)}", where=where
            )
        if not 0 <= index < node_count:
            raise InvalidIR(
                f"{where}: {role} node {index} does not exist (the graph has {node_count} "
                f"nodes); point the edge at an index from 0 to {node_count - 1}",
                where=where,
            )
    if kind not in EDGE_KINDS:
        kinds = ", ".join(f'"{name}"' for name in EDGE_KINDS)
        raise InvalidIR(
            f"{where}: unknown edge kind {describe(kind)}; use one of {kinds}", where=where
        )
    return source, target, kind


def parse_graph(document: Fields) -> PipelineIR:
    """Load a graph-form document whose version has been checked."""
    timeout_seconds = document.seconds("timeout_seconds")
    document.known(_DOCUMENT_FIELDS)
    graph = Fields(document.required("graph", "an object with nodes and edges"), where="graph")
    graph.known(_GRAPH_FIELDS)
    if graph.array("node_holes"):
        raise graph.fail("'node_holes' must be empty: this hm reads dense node lists only")
    direction = graph.raw("edge_property")
    if direction is not None and direction != "directed":
        raise graph.fail(f"'edge_property' must be \"directed\", got {describe(direction)}")

    steps: list[CommandStep] = []
    keyed: list[tuple[str, str]] = []
    where_of: dict[str, str] = {}
    for index, raw in enumerate(graph.array("nodes", required=True)):
        node = Fields(raw, where=f"node {index}")
        step = Fields(node.required("step", "an object with key and cmd"), where=node.where)
        key = step_key(step)
        node.known(_NODE_FIELDS)
        step.known(COMMAND_FIELDS)
        keyed.append((key, node.where))
        node.where = step.where = where_of.setdefault(key, f"node {index} (step {key!r})")
        steps.append(command_step(step, key=key, builds_in=None, env=node.environment("env")))
    unique_keys(keyed)

    parent: dict[int, tuple[int, int]] = {}  # node -> (parent node, edge index)
    dependencies: list[Dependency] = []
    seen: dict[tuple[int, int, str], int] = {}
    for index, raw in enumerate(graph.array("edges")):
        where = f"edge {index}"
        source, target, kind = _edge(raw, where=where, node_count=len(steps))
        if (source, target, kind) in seen:
            raise InvalidIR(
                f"{where}: repeats edge {seen[source, target, kind]} "
                f"[{source}, {target}, {kind!r}]; remove one of them",
                where=where,
            )
        seen[source, target, kind] = index
        requires_success = EDGE_KINDS[kind]
        if requires_success is None:
            if target in parent:
                other, other_edge = parent[target]
                target_where = where_of[steps[target].key]
                raise InvalidIR(
                    f"{target_where}: two builds_in parents, node {other} (edge {other_edge}) "
                    f"and node {source} (edge {index}); a step builds in at most one parent, "
                    "make the other edge depends_on",
                    where=target_where,
                )
            parent[target] = (source, index)
        else:
            dependencies.append(
                Dependency(
                    step=steps[target].key,
                    after=steps[source].key,
                    requires_success=requires_success,
                )
            )

    for child, (source, _) in parent.items():
        steps[child] = attrs.evolve(steps[child], builds_in=steps[source].key)
    ir = PipelineIR(
        steps=tuple(steps),
        dependencies=tuple(dependencies),
        timeout_seconds=timeout_seconds,
    )
    check_acyclic(ir, where_of=where_of)
    return ir
