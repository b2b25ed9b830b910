"""
Lowering: from the leaves a program returns to the graph-form IR document.

The document is what harmont 0.0.9 emits, key for key and in the same order::

    {"version": "0", "timeout_seconds"?: int,
     "graph": {"nodes": [{"step": {...}, "env": {...}}], "node_holes": [],
               "edge_property": "directed", "edges": [[from, to, "builds_in"|"depends_on"]]}}

Steps are ordered leaf by leaf, each leaf's not-yet-seen ancestors first (parents before
children). A ``wait()`` makes every command step after it depend on each command step
between it and the previous barrier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harmont._dsl._cache import cache_ir
from harmont._dsl._duration import parse_duration
from harmont._dsl._keys import assign_keys
from harmont._dsl._step import Step
from harmont._step_env import BASELINE_ENV, DEFAULT_IMAGE

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import timedelta

__all__ = ["build_ir", "has_command"]


def build_ir(
    leaves: Sequence[Step],
    *,
    env: Mapping[str, str] | None = None,
    timeout: str | int | timedelta | None = None,
) -> dict[str, Any]:
    """
    Return the IR document of the pipeline ending in ``leaves``, cache keys not yet set.

    :param env: pipeline-wide variables, over the baseline and under each step's own.
    :param timeout: a whole-build budget, in any form ``hm.timeout`` accepts.
    :raises ValueError: for no leaves, leaves with no command step (only waits), or a bad
        timeout.
    :raises TypeError: for a leaf that is not a step, or an unknown cache policy.
    """
    if not leaves:
        raise ValueError(
            "a pipeline needs at least one leaf: pass the last step of each chain, "
            "e.g. hm.pipeline([build, test])"
        )
    for leaf in leaves:
        if not isinstance(leaf, Step):
            raise TypeError(f"pipeline leaves must be steps, got {type(leaf).__name__} {leaf!r}")
    if not has_command(leaves):
        raise ValueError(
            "hm.pipeline([...]) got only wait() barriers, so it has no step to run: "
            "pass the last step of each chain, e.g. hm.pipeline([build, hm.wait(), deploy])"
        )
    document: dict[str, Any] = {"version": "0"}
    if timeout is not None:
        document["timeout_seconds"] = parse_duration(timeout)
    document["graph"] = _lower(_in_order(leaves), env)
    return document


def has_command(leaves: Sequence[Step]) -> bool:
    """Whether any leaf is, or builds on, a command step: else the pipeline would be empty."""
    return any(
        not leaf.is_wait and (_is_command(leaf) or _emitted_parent(leaf) is not None)
        for leaf in leaves
    )


def _in_order(leaves: Sequence[Step]) -> list[Step]:
    """
    Every step reachable from ``leaves``, each once, parents first, leaf by leaf.

    A barrier given as a leaf stays in its place (and is listed again if given twice);
    a barrier inside a chain is ordered like any ancestor.
    """
    seen: set[int] = set()
    ordered: list[Step] = []
    for leaf in leaves:
        if leaf.is_wait:
            ordered.append(leaf)
            continue
        chain: list[Step] = []
        node: Step | None = leaf
        while node is not None and id(node) not in seen:
            chain.append(node)
            node = node.parent
        seen.update(id(step) for step in chain)
        ordered.extend(reversed(chain))
    return ordered


def _is_command(step: Step) -> bool:
    return step.cmd is not None and not step.is_wait


def _lower(ordered: list[Step], env: Mapping[str, str] | None) -> dict[str, Any]:
    commands = [step for step in ordered if _is_command(step)]
    keys = assign_keys(commands)
    # builds_in edges point at the first node holding the parent's key: with two explicit
    # equal keys, harmont 0.0.9 picks the first, and so do we.
    index_of_key: dict[str, int] = {}
    for index, step in enumerate(commands):
        index_of_key.setdefault(keys[id(step)], index)

    nodes: list[dict[str, Any]] = []
    edges: list[list[Any]] = []
    since_barrier: list[int] = []
    barrier_sources: list[int] = []
    for step in ordered:
        if step.is_wait:
            barrier_sources, since_barrier = since_barrier, []
            continue
        if step.cmd is None:
            continue
        index = len(nodes)
        parent = _emitted_parent(step)
        nodes.append(
            {"step": _step_ir(step, keys[id(step)], is_root=parent is None), "env": _env(env, step)}
        )
        if parent is not None:
            edges.append([index_of_key[keys[id(parent)]], index, "builds_in"])
        edges.extend([source, index, "depends_on"] for source in barrier_sources)
        since_barrier.append(index)
    return {"nodes": nodes, "node_holes": [], "edge_property": "directed", "edges": edges}


def _emitted_parent(step: Step) -> Step | None:
    """The nearest ancestor that is a command step, skipping scratch, fork and wait nodes."""
    node = step.parent
    while node is not None and not _is_command(node):
        node = node.parent
    return node


def _step_ir(step: Step, key: str, *, is_root: bool) -> dict[str, Any]:
    """The ``step`` object of a node; a root without an image gets the default one, last."""
    out: dict[str, Any] = {"key": key, "cmd": step.cmd}
    if step.label is not None:
        out["label"] = step.label
    if step.cache is not None:
        out["cache"] = cache_ir(step.cache)
    if step.timeout_seconds is not None:
        out["timeout_seconds"] = step.timeout_seconds
    if step.image is not None:
        out["image"] = step.image
    if step.runner is not None:
        out["runner"] = step.runner
    if step.runner_args is not None:
        out["runner_args"] = step.runner_args
    if is_root and step.image is None:
        out["image"] = DEFAULT_IMAGE
    return out


def _env(pipeline_env: Mapping[str, str] | None, step: Step) -> dict[str, str]:
    """Baseline, then the pipeline's variables, then the step's: the later one wins."""
    return {**BASELINE_ENV, **(pipeline_env or {}), **(step.env or {})}
