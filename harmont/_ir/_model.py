"""
The one immutable model that the graph form, the flat form and the envelope load into.

Both wire forms describe the same thing, a DAG of command steps: each step may build in
one parent (it starts from the parent's end state) and may have to wait for other steps.
The model keeps exactly that and nothing of the form it came from: ``builds_in`` lives on
the step (:class:`~harmont.protocol.CommandStep`), every other ordering constraint is a
:class:`Dependency`. Wait steps of the flat form and ``depends_on`` edges of the graph form
both become dependencies, so the planner never needs to know which form it was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from harmont.protocol import CommandStep, Value

__all__ = ["Definition", "Dependency", "PipelineIR", "Registration"]


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Dependency:
    """
    Step ``step`` may start only after step ``after`` has finished.

    ``requires_success`` is false for the steps behind a wait with
    ``continue_on_failure``: they run whether ``after`` passed or failed.
    """

    #: The key of the waiting step.
    step: str
    #: The key of the step it waits for.
    after: str
    #: Whether ``after`` must have succeeded for ``step`` to run at all.
    requires_success: bool = True


@attrs.frozen(kw_only=True)
class PipelineIR:
    """
    One pipeline, validated: unique keys, no dangling reference, no cycle.

    Build it with :func:`harmont.load_ir`, which validates; constructing it directly skips
    validation.
    """

    #: The command steps in document order (the DSL writes parents before children).
    steps: tuple[CommandStep, ...]
    #: Ordering constraints besides ``builds_in``, in document order.
    dependencies: tuple[Dependency, ...] = ()
    #: Pipeline-wide env (flat form); the graph form carries merged env on each step.
    env: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    #: Image for root steps that name none (flat form ``default_image``).
    default_image: str | None = None
    #: Whole-build wall-clock budget in seconds.
    timeout_seconds: int | None = None

    def step(self, key: str) -> CommandStep:
        """Return the step named ``key``; raise ``KeyError`` if there is none."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


@attrs.frozen(kw_only=True)
class Registration:
    """One ``@hm.pipeline`` of a discovery envelope (docs/ir.md), with its definition."""

    slug: str
    name: str
    allow_manual: bool = True
    #: Trigger objects as JSON data (``{"event": "push", ...}``); the runner ignores them.
    triggers: tuple[Value, ...] = ()
    definition: PipelineIR


@attrs.frozen(kw_only=True)
class Definition:
    """
    One pipeline definition as it was read: the validated model and its JSON text.

    ``text`` is what `hm render` prints: the definition re-serialised the way the DSL's
    ``pipeline_to_json`` writes it, so cache-object fields the runner ignores (``env_keys``,
    ``paths``...) survive the round trip.
    """

    #: The slug it was chosen by, when it came from an envelope.
    slug: str | None
    ir: PipelineIR
    text: str
