"""
Step selection: ``hm run --only``, ``hm render --only`` and the steps ``hm debug`` needs.

A user names steps by key, or by a label that names exactly one step. A selection is
those steps and everything they need: their ``builds_in`` ancestors (the chain up to
them, whose end state they start from) and every step their waits require, transitively.
Everything else is left out of the pipeline before it is planned, so the planner, the
scheduler and the executors never see it; the run reports it as skipped by selection.

Selecting before planning, rather than skipping while scheduling, also reshapes chains
the way the reduced pipeline reads: a fork parent with one selected child hands that
child its live environment instead of committing a snapshot.
"""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._errors import UsageError
from harmont._ir._model import Dependency, PipelineIR, WaitBarrier

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Selection", "needs_of", "reduce_text", "resolve_step", "select"]

#: Closest keys named when a step is unknown.
_SUGGESTIONS: Final = 3


@attrs.frozen(kw_only=True)
class Selection:
    """A pipeline reduced to the selected steps and their needs."""

    #: The reduced pipeline: what is planned and run.
    ir: PipelineIR
    #: The keys of the steps left out, in document order.
    skipped: tuple[str, ...]


def resolve_step(ir: PipelineIR, name: str) -> str:
    """
    The key of the step *name* names: a key, else a label carried by exactly one step.

    :raises UsageError: no step has that key or label (the closest keys are named), or the
        label is carried by several steps (their keys are named).
    """
    keys = [step.key for step in ir.steps]
    if name in keys:
        return name
    labelled = [step.key for step in ir.steps if step.label == name]
    if len(labelled) == 1:
        return labelled[0]
    if labelled:
        raise UsageError(
            f"label {name!r} names {len(labelled)} steps ({', '.join(labelled)})",
            hint="name one of them by its key",
        )
    labels = {step.label: step.key for step in ir.steps if step.label}
    close = difflib.get_close_matches(name, [*keys, *labels], n=_SUGGESTIONS, cutoff=0.5)
    closest = list(dict.fromkeys(labels.get(match, match) for match in close))
    hint = f"closest: {', '.join(closest)}" if closest else "`hm render` lists the pipeline's steps"
    raise UsageError(f"unknown step {name!r}: no step has that key or label", hint=hint)


def needs_of(ir: PipelineIR, keys: Iterable[str]) -> frozenset[str]:
    """*keys* and every step they need: ``builds_in`` ancestors and waited-for steps."""
    parents = {step.key: step.builds_in for step in ir.steps}
    # A wait's steps share its one tuple of waited-for keys, taken once whoever needs it
    # first: linear in the steps, not in the pairs a wait stands for.
    waits: dict[str, list[tuple[str, ...]]] = {}
    for steps, after, _ in ir.dependency_groups():
        for step in steps:
            waits.setdefault(step, []).append(after)
    taken: set[int] = set()
    needed: set[str] = set()
    pending = list(keys)
    while pending:
        key = pending.pop()
        if key in needed:
            continue
        needed.add(key)
        parent = parents.get(key)
        if parent is not None:
            pending.append(parent)
        for after in waits.get(key, ()):
            if id(after) not in taken:
                taken.add(id(after))
                pending.extend(after)
    return frozenset(needed)


def _split(names: Iterable[str]) -> list[str]:
    """``--only a,b --only c`` as ``[a, b, c]``; empty items are an error."""
    found = [part.strip() for name in names for part in name.split(",")]
    if any(not part for part in found):
        raise UsageError(
            "--only expects step keys or labels separated by commas, with none empty",
            hint="for example: --only build,test",
        )
    return found


def select(ir: PipelineIR, names: Iterable[str]) -> Selection:
    """
    Reduce *ir* to the steps *names* name and what they need; nothing named keeps all.

    :param names: keys or labels, each possibly a comma-separated list (``--only a,b``).
    :raises UsageError: a name names no step, or several (see :func:`resolve_step`).
    """
    wanted = [resolve_step(ir, name) for name in _split(names)]
    if not wanted:
        return Selection(ir=ir, skipped=())
    keep = needs_of(ir, wanted)
    reduced = attrs.evolve(
        ir,
        steps=tuple(step for step in ir.steps if step.key in keep),
        dependencies=tuple(_kept_orderings(ir, keep)),
    )
    skipped = tuple(step.key for step in ir.steps if step.key not in keep)
    return Selection(ir=reduced, skipped=skipped)


def _kept_orderings(ir: PipelineIR, keep: frozenset[str]) -> Iterator[Dependency | WaitBarrier]:
    """The dependencies between kept steps; a wait stays one wait over its kept steps."""
    for steps, after, requires_success in ir.dependency_groups():
        waiting = tuple(step for step in steps if step in keep)
        waited = tuple(step for step in after if step in keep)
        if len(waiting) == len(waited) == 1:
            yield Dependency(step=waiting[0], after=waited[0], requires_success=requires_success)
        elif waiting and waited:
            yield WaitBarrier(steps=waiting, after=waited, requires_success=requires_success)


def reduce_text(text: str, keep: frozenset[str]) -> str:
    """
    The definition JSON *text* (graph or flat form) with only the steps in *keep*.

    What `hm render --only` prints: the same form and field order as the original, so it
    can be saved and run (``hm run reduced.json``) like any rendered pipeline.
    """
    from harmont._ir._load import dump_definition

    document = json.loads(text)
    if isinstance(document.get("graph"), dict):
        _reduce_graph(document["graph"], keep)
    elif isinstance(document.get("steps"), list):
        document["steps"] = _reduce_flat(document["steps"], keep)
    return dump_definition(document)


def _reduce_graph(graph: dict[str, Any], keep: frozenset[str]) -> None:
    nodes = graph.get("nodes") or []
    renumber: dict[int, int] = {}
    kept: list[Any] = []
    for index, node in enumerate(nodes):
        if node["step"]["key"] in keep:
            renumber[index] = len(kept)
            kept.append(node)
    graph["nodes"] = kept
    graph["edges"] = [
        [renumber[source], renumber[target], kind]
        for source, target, kind in graph.get("edges") or []
        if source in renumber and target in renumber
    ]


def _reduce_flat(steps: list[dict[str, Any]], keep: frozenset[str]) -> list[dict[str, Any]]:
    """
    Keep the selected command steps and the waits between stages that still hold one.

    A stage emptied by the selection leaves two waits side by side, which the loader
    reads as one wait that stops on failure if either does: both are kept, so the meaning
    of ``continue_on_failure`` is the original's.
    """
    reduced = [s for s in steps if s.get("type") == "wait" or s.get("key") in keep]
    while reduced and reduced[0].get("type") == "wait":
        reduced.pop(0)
    while reduced and reduced[-1].get("type") == "wait":
        reduced.pop()
    return reduced
