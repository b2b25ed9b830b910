"""
The one immutable model that the graph form, the flat form and the envelope load into.

Both wire forms describe the same thing, a DAG of command steps: each step may build in
one parent (it starts from the parent's end state) and may have to wait for other steps.
The model keeps exactly that and nothing of the form it came from: ``builds_in`` lives on
the step (:class:`~harmont.protocol.CommandStep`), every other ordering constraint is a
:class:`Dependency`. Wait steps of the flat form and ``depends_on`` edges of the graph form
both become dependencies, so the planner never needs to know which form it was given.

A wait of the flat form makes every step after it depend on every step before it: N x M
dependencies. The model keeps such a wait as one :class:`WaitBarrier` and builds its
:class:`Dependency` objects only when :attr:`PipelineIR.dependencies` is read; loading,
validating and planning read :meth:`PipelineIR.dependency_groups` instead, whose size
grows with the steps, not with their product.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont.protocol import CommandStep, Value

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["Definition", "Dependency", "PipelineIR", "Registration", "WaitBarrier"]


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
class WaitBarrier:
    """
    A wait of the flat form: each step of ``steps`` depends on each step of ``after``.

    The same as ``len(steps) * len(after)`` :class:`Dependency` objects, ordered by
    waiting step, then by the step waited for, as the flat form lists them.
    """

    #: The keys of the steps after the wait, in document order.
    steps: tuple[str, ...]
    #: The keys of the steps before it, in document order.
    after: tuple[str, ...]
    requires_success: bool = True

    def expand(self) -> Iterator[Dependency]:
        """The dependencies the wait stands for, in document order."""
        required = self.requires_success
        for step in self.steps:
            for after in self.after:
                yield Dependency(step=step, after=after, requires_success=required)


#: What a pipeline keeps of its dependencies: each one, or a wait standing for many.
_Ordering = Dependency | WaitBarrier


def _expanded(ordering: tuple[_Ordering, ...]) -> tuple[Dependency, ...]:
    if all(type(item) is Dependency for item in ordering):
        return ordering  # type: ignore[return-value]  # narrowed by the check above
    return tuple(
        dependency
        for item in ordering
        for dependency in (item.expand() if isinstance(item, WaitBarrier) else (item,))
    )


def _kept(ordering: Iterable[_Ordering]) -> tuple[Dependency, ...]:
    # The slot keeps each wait whole; the field is typed as what reading it gives.
    return tuple(ordering)  # type: ignore[arg-type]


def read_through(cls: type, name: str, read: Callable[[Any], object], *, doc: str) -> Any:
    """
    Make field *name* of the slotted attrs class *cls* read as ``read(stored)``, and return
    the slot, through which code that knows the stored form reads it as it was given.

    So a class may keep a compact form its field's type does not name, while its attrs
    surface (``attrs.fields``, ``attrs.asdict``, ``attrs.evolve``, ``==``, ``repr``) sees
    the expanded value. Assigning (attrs' ``__init__``) still fills the slot. *doc* is the
    field's docstring, which a bare property would lose.
    """
    slot = cls.__dict__[name]
    setattr(cls, name, property(lambda self: read(slot.__get__(self)), slot.__set__, doc=doc))
    return slot


@attrs.frozen(kw_only=True)
class PipelineIR:
    """
    One pipeline, validated: unique keys, no dangling reference, no cycle.

    Build it with :func:`harmont.load_ir`, which validates; constructing it directly skips
    validation.
    """

    #: The command steps in document order (the DSL writes parents before children).
    steps: tuple[CommandStep, ...]
    #: Ordering constraints besides ``builds_in``, one per pair of steps, in document
    #: order. ``dependencies=`` also takes :class:`WaitBarrier` objects, which are kept
    #: whole and expanded whenever the field is read (``attrs.asdict``, ``==`` and
    #: ``repr`` included): see :data:`_STORED` below.
    dependencies: tuple[Dependency, ...] = attrs.field(default=(), converter=_kept)
    #: Pipeline-wide env (flat form); the graph form carries merged env on each step.
    env: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_map)
    #: Image for root steps that name none (flat form ``default_image``).
    default_image: str | None = None
    #: Whole-build wall-clock budget in seconds.
    timeout_seconds: int | None = None

    def dependency_groups(self) -> Iterator[tuple[tuple[str, ...], tuple[str, ...], bool]]:
        """
        The dependencies as ``(steps, after, requires_success)`` groups: each step of
        ``steps`` waits for each of ``after``. A wait is one group, however many steps
        it orders, so a reader that takes groups whole stays linear in the steps.
        """
        for item in _STORED.__get__(self):
            if isinstance(item, WaitBarrier):
                yield item.steps, item.after, item.requires_success
            else:
                yield (item.step,), (item.after,), item.requires_success

    def step(self, key: str) -> CommandStep:
        """Return the step named ``key``; raise ``KeyError`` if there is none."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


#: What ``dependencies=`` was given, each wait one :class:`WaitBarrier`: loading and
#: planning read it through :meth:`PipelineIR.dependency_groups`, so they never build the
#: N x M pairs of a wait.
_STORED: Final = read_through(
    PipelineIR,
    "dependencies",
    _expanded,
    doc=(
        "Ordering constraints besides ``builds_in``, one :class:`Dependency` per pair of"
        " steps, in document order. A wait given as a :class:`WaitBarrier` is kept whole"
        " and expanded into its pairs whenever this is read."
    ),
)


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
