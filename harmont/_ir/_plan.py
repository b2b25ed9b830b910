"""
The planner: turns a validated :class:`PipelineIR` into chains a scheduler can run.

A chain is the unit that owns one live execution environment (one container, one working
directory): its steps run in order, each starting from the state the previous one left.
The rule ("one live environment per chain", docs/ir.md):

- a step continues its parent's chain when it is its ``builds_in`` parent's only child,
  even when it also waits for other steps (a ``depends_on`` edge, a wait barrier): the
  chain then pauses before that step until the steps it waits for have finished, and its
  environment stays alive meanwhile, so nothing is committed or copied;
- a child of a parent with two or more children (a fork) starts a chain of its own from
  the parent's durable snapshot; a step without a parent starts one from an image.

So a wait no longer splits a chain: ``[setup, setup.sh(build), wait, build.sh(test)]`` is
one chain that pauses before ``test``. A chain's waits are on steps, not on whole chains:
two chains may each wait, mid-way, for a step of the other (the DAG of steps has no cycle,
so the scheduler always has a step it can run). Only the steps that start chains order
the chains themselves: the plan lists chains so that every chain comes after the chains
its first step waits for.

A wait of the flat form makes each step after it wait for each step before it. The plan
keeps it whole: a chain's step waits on a :class:`WaitGroup` (the steps before the wait,
shared by every chain behind it, or one step), less the few steps it need not wait for
(:data:`WaitUnit`), and :attr:`Chain.waits` and :attr:`Chain.depends_on` build their pairs
only when read. Planning and the scheduler's wait book so grow with the steps and the
waits, not with their product.

The planner also applies what the host adds to each step: the env merge (DSL baseline <
pipeline < step < the caller's overrides), the default image of root steps, and the
resolved runner, checked against the runners the caller has. The graph form already
carries the baseline in each node's env; adding it again makes the flat form run with the
same env.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final, TypeAlias

import attrs

from harmont._errors import InvalidIR, UnknownRunner
from harmont._ir._model import Dependency, read_through
from harmont._step_env import BASELINE_ENV
from harmont.protocol import CommandStep, PlanSummary

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping

    from harmont._ir._model import PipelineIR

__all__ = [
    "Chain",
    "ChainDependency",
    "Plan",
    "WaitGroup",
    "WaitUnit",
    "plan",
    "wait_units",
    "waited_for",
]


@attrs.frozen(kw_only=True)
class ChainDependency:
    """The first step of a chain waits for a step of chain ``chain`` (a plan index)."""

    chain: int
    #: False when every edge behind this dependency comes from a wait with
    #: ``continue_on_failure``: the waiting chain runs whatever the outcome. A fork
    #: (``builds_in``) always needs success: there is no end state to start from otherwise.
    requires_success: bool


@attrs.frozen(kw_only=True)
class Chain:
    """Steps that run one after another in one execution environment."""

    #: Position in :attr:`Plan.chains`; every chain comes after those in :attr:`depends_on`.
    index: int
    #: The steps in run order, with merged env, stamped image and resolved runner.
    steps: tuple[CommandStep, ...]
    #: The key of the fork parent whose durable snapshot the chain starts from (the first
    #: step's ``builds_in``). None: start from an image.
    fork_parent: str | None
    #: These two read through properties (see :data:`_STORED_WAITS`), documented there.
    depends_on: tuple[ChainDependency, ...]
    waits: tuple[Dependency, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """The step keys, in run order."""
        return tuple(step.key for step in self.steps)


class _CompactWaits:
    """
    A planned chain's waits as the planner found them: per waiting step, whole groups
    (:data:`WaitUnit`). Read as :class:`Dependency` pairs, a wait after a stage of N steps
    is N pairs for each chain behind it; kept as groups, it is one entry each, and the
    scheduler counts a group's unfinished steps once for all the chains waiting on it.
    """

    __slots__ = ("_depends_on", "_keys", "_rank", "_waits", "units")

    def __init__(
        self, keys: tuple[str, ...], units: ChainWaits, rank: Mapping[str, tuple[int, int]]
    ) -> None:
        self._keys = keys
        self.units = units
        #: Step key -> (index of its chain in the plan, its place in the document).
        self._rank = rank
        self._waits: tuple[Dependency, ...] | None = None
        self._depends_on: tuple[ChainDependency, ...] | None = None

    def by_step(self) -> Iterator[tuple[int, list[tuple[str, bool]]]]:
        """Per waiting step's position, what it waits for, in :attr:`Chain.waits` order."""
        for at, units in self.units:
            yield at, sorted(_waited(units), key=lambda item: self._rank[item[0]])

    def waits(self) -> tuple[Dependency, ...]:
        """The waits as pairs, in :attr:`Chain.waits` order."""
        if self._waits is None:
            self._waits = tuple(
                Dependency(step=self._keys[at], after=key, requires_success=required)
                for at, waited in self.by_step()
                for key, required in waited
            )
        return self._waits

    def depends_on(self) -> tuple[ChainDependency, ...]:
        """The chains the first step waits for, in :attr:`Chain.depends_on` order."""
        if self._depends_on is None:
            needs: dict[int, bool] = {}
            head = self.units[0][1] if self.units and self.units[0][0] == 0 else ()
            for key, required in _waited(head):
                chain = self._rank[key][0]
                needs[chain] = needs.get(chain, False) or required
            self._depends_on = tuple(
                ChainDependency(chain=chain, requires_success=required)
                for chain, required in sorted(needs.items())
            )
        return self._depends_on


def _waited(units: tuple[WaitUnit, ...]) -> list[tuple[str, bool]]:
    """Each step the *units* wait for, with whether it must have passed."""
    return [
        (key, required)
        for group, required, left_out in units
        for key in group.keys
        if key not in left_out
    ]


def _read(compact: Callable[[_CompactWaits], object]) -> Callable[[object], object]:
    """A field's reader: what *compact* builds from a planned chain's groups, else as given."""
    return lambda stored: compact(stored) if isinstance(stored, _CompactWaits) else stored


#: A planned chain holds one :class:`_CompactWaits` in both slots; a chain built by hand,
#: the tuples it was given. The scheduler takes the groups through :func:`wait_units`.
_STORED_WAITS: Final = read_through(
    Chain,
    "waits",
    _read(_CompactWaits.waits),
    doc=(
        "Every wait of a step of this chain on a step of another chain (the fork parent"
        " included), ordered by the waiting step's position, then by plan order of the"
        " step waited for. A step waits only where an earlier step of its chain did not"
        " already. A planned chain builds these pairs only when this is read."
    ),
)
read_through(
    Chain,
    "depends_on",
    _read(_CompactWaits.depends_on),
    doc=(
        "The chains holding the steps that the first step waits for, in index order;"
        " every chain comes after those. Built only when read, like :attr:`waits`."
    ),
)


def wait_units(chain: Chain) -> ChainWaits:
    """
    *chain*'s waits as groups, per waiting step: what the scheduler's wait book counts.
    A chain built by hand gets one group of one step per wait it was given.
    """
    stored = _STORED_WAITS.__get__(chain)
    if isinstance(stored, _CompactWaits):
        return stored.units
    position = {key: index for index, key in enumerate(chain.keys)}
    at: dict[int, list[WaitUnit]] = {}
    for wait in stored:
        unit = (WaitGroup((wait.after,)), wait.requires_success, _NOTHING)
        at.setdefault(position[wait.step], []).append(unit)
    return tuple((index, tuple(units)) for index, units in sorted(at.items()))


def waited_for(chain: Chain) -> list[tuple[int, list[str]]]:
    """
    Per waiting step's position in *chain*, the keys of the steps it waits for, in
    :attr:`Chain.waits` order: read from a planned chain's groups, without the pairs.
    """
    stored = _STORED_WAITS.__get__(chain)
    if isinstance(stored, _CompactWaits):
        return [(at, [key for key, _ in waited]) for at, waited in stored.by_step()]
    return [(at, [key for key, _ in _waited(units)]) for at, units in wait_units(chain)]


@attrs.frozen(kw_only=True)
class Plan:
    """A pipeline ready to schedule: its chains, and the waits that order their steps."""

    chains: tuple[Chain, ...]
    #: The runner that steps naming none were given.
    default_runner: str
    #: Whole-build wall-clock budget in seconds.
    timeout_seconds: int | None = None

    @property
    def summary(self) -> PlanSummary:
        """What ``build_start`` announces."""
        return PlanSummary(
            step_count=sum(len(chain.steps) for chain in self.chains),
            chain_count=len(self.chains),
            default_runner=self.default_runner,
        )

    @property
    def snapshot_keys(self) -> frozenset[str]:
        """The steps whose end state another chain starts from: executors must keep it."""
        return frozenset(c.fork_parent for c in self.chains if c.fork_parent is not None)

    def chain_of(self, key: str) -> Chain:
        """Return the chain that runs step ``key``; raise ``KeyError`` if none does."""
        for chain in self.chains:
            if key in chain.keys:
                return chain
        raise KeyError(key)


def _prepare(
    step: CommandStep,
    ir: PipelineIR,
    *,
    env: Mapping[str, str],
    default_runner: str,
    runners: Collection[str],
) -> CommandStep:
    runner = step.runner or default_runner
    if runner not in runners and runner != default_runner:
        available = ", ".join(sorted({*runners, default_runner}))
        raise UnknownRunner(
            f"step {step.key!r}: unknown runner {runner!r} (available: {available})",
            step_key=step.key,
            runner=runner,
        )
    image = step.image
    if step.builds_in is None and image is None:
        image = ir.default_image
    merged = {**BASELINE_ENV, **ir.env, **(step.env or {}), **env}
    return attrs.evolve(step, env=merged, image=image, runner=runner)


def plan(
    ir: PipelineIR,
    *,
    default_runner: str,
    runners: Collection[str] = (),
    env: Mapping[str, str] | None = None,
) -> Plan:
    """
    Plan ``ir``: split it into chains and prepare every step to run.

    :param default_runner: the runner of steps that name none (``hm run --runner``).
    :param runners: the runners the loaded plugins provide; a step naming another one is
        an error. The default runner is always allowed.
    :param env: overrides that win over every other env (``hm run --env KEY=VALUE``).
    :raises UnknownRunner: a step names a runner outside ``runners``; the message lists them.
    """
    overrides = dict(env or {})
    steps = [
        _prepare(s, ir, env=overrides, default_runner=default_runner, runners=runners)
        for s in ir.steps
    ]
    position = {step.key: index for index, step in enumerate(steps)}

    groups = _Groups()
    incoming, children = _needs(ir, steps, position, groups)

    # Grow each chain from its head (a step that is not its parent's only child), in
    # document order, following only children: the tie-break of the order below.
    chain_of = [-1] * len(steps)
    members: list[list[int]] = []
    for head, step in enumerate(steps):
        if step.builds_in is not None and len(children[position[step.builds_in]]) == 1:
            continue
        chain = [head]
        while len(children[chain[-1]]) == 1:
            chain.append(children[chain[-1]][0])
        for index in chain:
            chain_of[index] = len(members)
        members.append(chain)

    groups.chain_of = {step.key: chain_of[index] for index, step in enumerate(steps)}
    keys = [tuple(steps[index].key for index in chain) for chain in members]
    waits = [
        _chain_waits(chain, keys[number], incoming, groups) for number, chain in enumerate(members)
    ]
    order = _topological(waits, groups)
    renumber = {old: new for new, old in enumerate(order)}
    rank = {step.key: (renumber[chain_of[index]], index) for index, step in enumerate(steps)}
    chains = []
    for new, old in enumerate(order):
        chain = members[old]
        compact = _CompactWaits(keys[old], waits[old], rank)
        chains.append(
            Chain(
                index=new,
                steps=tuple(steps[index] for index in chain),
                fork_parent=steps[chain[0]].builds_in,
                depends_on=compact,  # type: ignore[arg-type]  # read back expanded
                waits=compact,  # type: ignore[arg-type]  # read back expanded
            )
        )
    return Plan(
        chains=tuple(chains), default_runner=default_runner, timeout_seconds=ir.timeout_seconds
    )


class WaitGroup:
    """
    Steps waited for together: the steps before a wait, or one step.

    Compared by identity: a wait's group is one object however many steps wait on it, so
    the scheduler counts its unfinished steps once for all of them.
    """

    __slots__ = ("_keyset", "keys")

    def __init__(self, keys: tuple[str, ...]) -> None:
        #: The keys of the steps waited for, each once.
        self.keys = keys
        self._keyset: frozenset[str] | None = None

    @property
    def keyset(self) -> frozenset[str]:
        """The keys, as a set (made once, when the planner first asks)."""
        if self._keyset is None:
            self._keyset = frozenset(self.keys)
        return self._keyset

    def __repr__(self) -> str:
        return f"WaitGroup({self.keys!r})"


#: One wait of a step: a group of steps, whether they must have passed, and those of them
#: the wait leaves out: steps of the waiting chain, steps an earlier step of the chain
#: already waited for as strictly, steps another wait of the same step covers. Those have
#: all finished by the time the chain reaches the step, or are waited for there anyway.
WaitUnit: TypeAlias = tuple[WaitGroup, bool, frozenset[str]]
#: A chain's waits: ``(position of the waiting step, its waits)``, in position order.
ChainWaits: TypeAlias = tuple[tuple[int, tuple[WaitUnit, ...]], ...]

_NOTHING: Final[frozenset[str]] = frozenset()


def _needs(
    ir: PipelineIR, steps: list[CommandStep], position: Mapping[str, int], groups: _Groups
) -> tuple[list[list[tuple[WaitGroup, bool]]], list[list[int]]]:
    """
    What each step waits for (``builds_in`` counts, with success required), as groups,
    and each step's children. A wait is one group shared by every step behind it, and a
    step waited for alone has one group of its own: nothing here grows with the pairs a
    wait stands for.
    """
    incoming: list[list[tuple[WaitGroup, bool]]] = [[] for _ in steps]
    children: list[list[int]] = [[] for _ in steps]
    for index, step in enumerate(steps):
        if step.builds_in is not None:
            children[position[step.builds_in]].append(index)
            incoming[index].append((groups.single(step.builds_in), True))
    for keys, after, required in ir.dependency_groups():
        group = groups.of(after)
        for key in keys:
            incoming[position[key]].append((group, required))
    return incoming, children


class _Groups:
    """
    The planner's groups, and what it asks of them, each answer worked out once per group:
    which chains hold its steps, and which other groups share steps with it. The chains
    are numbered as found, before sorting, so those answers stay here, with the planner,
    and never on the groups a plan hands out.
    """

    def __init__(self) -> None:
        #: Step key -> the chain (plan order before sorting) that runs it; set once known.
        self.chain_of: Mapping[str, int] = {}
        #: Step key -> the group of that step alone, once some wait names it alone.
        self.alone: dict[str, WaitGroup] = {}
        #: Step key -> the groups of more than one step holding it.
        self._holding: dict[str, list[WaitGroup]] = {}
        self._chains: dict[WaitGroup, dict[int, list[str]]] = {}
        self._overlaps: dict[WaitGroup, dict[WaitGroup, list[str]]] = {}

    def single(self, key: str) -> WaitGroup:
        """The one group of step *key* alone."""
        group = self.alone.get(key)
        if group is None:
            group = self.alone[key] = WaitGroup((key,))
        return group

    def of(self, after: tuple[str, ...]) -> WaitGroup:
        """A new group of the steps *after* (each once), or the one of a step alone."""
        keys = tuple(dict.fromkeys(after))
        if len(keys) == 1:
            return self.single(keys[0])
        group = WaitGroup(keys)
        for key in keys:
            self._holding.setdefault(key, []).append(group)
        return group

    def holders(self, key: str, besides: WaitGroup) -> list[WaitGroup]:
        """Every group but *besides* that holds step *key*."""
        found = [other for other in self._holding.get(key, ()) if other is not besides]
        alone = self.alone.get(key)
        if alone is not None and alone is not besides:
            found.append(alone)
        return found

    def by_chain(self, group: WaitGroup) -> dict[int, list[str]]:
        """The steps of *group* by the chain that runs them; asked once chains are known."""
        found = self._chains.get(group)
        if found is None:
            found = {}
            for key in group.keys:
                found.setdefault(self.chain_of[key], []).append(key)
            self._chains[group] = found
        return found

    def overlaps(self, group: WaitGroup) -> dict[WaitGroup, list[str]]:
        """Each other group of more than one step sharing steps with *group*: those steps."""
        found = self._overlaps.get(group)
        if found is None:
            found = {}
            for key in group.keys if len(group.keys) > 1 else ():
                for other in self._holding.get(key, ()):
                    if other is not group:
                        found.setdefault(other, []).append(key)
            self._overlaps[group] = found
        return found


def _chain_waits(
    chain: list[int],
    keys: tuple[str, ...],
    incoming: list[list[tuple[WaitGroup, bool]]],
    groups: _Groups,
) -> ChainWaits:
    """
    The waits of *chain*'s steps, each a whole group less the steps it need not wait for.

    Steps of the same chain are ordered by the chain itself. A step already waited for at an
    earlier position has finished by then: it is waited for again only when this step needs
    its success and the earlier wait did not. A step two waits of one step name is waited
    for once, as strictly as either asks. A group none of whose steps is left is dropped.
    """
    scan = _Scan(groups.chain_of[keys[0]], groups)
    found = []
    for at, member in enumerate(chain):
        units = scan.step(incoming[member])
        scan.ran(keys[at])
        if units:
            found.append((at, units))
    return tuple(found)


class _Scan:
    """One chain's steps, in order: what each waits for that an earlier one did not."""

    def __init__(self, own: int, groups: _Groups) -> None:
        self._own = own
        self._groups = groups
        #: Every group waited for at an earlier position, with the strictest flag.
        self._seen: dict[WaitGroup, bool] = {}
        #: The groups the current step waits for, in the order they were named.
        self._here: dict[WaitGroup, bool] = {}
        #: Each of them -> minus its place in that order; made when first asked for.
        self._rank: dict[WaitGroup, int] | None = None
        #: The keys of the steps of the chain before the current one.
        self._earlier: set[str] = set()

    def ran(self, key: str) -> None:
        """The step *key* comes before the next one."""
        self._earlier.add(key)

    def step(self, incoming: list[tuple[WaitGroup, bool]]) -> tuple[WaitUnit, ...]:
        """The waits of the next step, given every group it waits for."""
        here = self._here = {}
        self._rank = None
        for group, required in incoming:
            here[group] = here.get(group, False) or required
        units: list[WaitUnit] = []
        for group, required in here.items():
            if group in self._seen and self._seen[group] >= required:
                continue  # every step of it was waited for as strictly already
            left_out = self._left_out(group, required)
            if any(
                key not in self._earlier and self._groups.chain_of[key] == self._own
                for key in left_out
            ):
                # A step of this chain not run yet (an unvalidated IR with a cycle): the
                # others one by one, since the group would count a step that never ends.
                single = self._groups.single
                units += [
                    (single(key), required, _NOTHING) for key in group.keys if key not in left_out
                ]
            elif len(left_out) < len(group.keys):
                units.append((group, required, left_out))
        for group, required in here.items():
            self._seen[group] = self._seen.get(group, False) or required
        return tuple(units)

    def _left_out(self, group: WaitGroup, required: bool) -> frozenset[str]:
        """The steps of *group* that its wait here leaves out (see :data:`WaitUnit`)."""
        left_out = [key for key in self._candidates(group) if self._leaves(key, group, required)]
        return frozenset(left_out) if left_out else _NOTHING

    def _leaves(self, key: str, group: WaitGroup, required: bool) -> bool:
        """Whether the wait of *group* here leaves out its step *key*."""
        if self._groups.chain_of[key] == self._own:
            return True
        holders = self._groups.holders(key, besides=group)
        if not holders:
            return False  # the common case, a step waited for only by this group
        seen, here = self._seen, self._here
        if any(other in seen and seen[other] >= required for other in holders):
            return True  # waited for as strictly at an earlier position
        # Another wait of this step takes it when stricter, or as strict and named first.
        if self._rank is None:
            self._rank = {other: -place for place, other in enumerate(here)}
        rank = self._rank
        strength = (required, rank[group])
        return any(other in here and (here[other], rank[other]) > strength for other in holders)

    def _candidates(self, group: WaitGroup) -> set[str]:
        """
        The steps of *group* that may be left out: those it shares with the chain, with a
        group met before or with another group here. Only those are looked at, so a wait
        costs the same whatever the size of its group.
        """
        if len(group.keys) == 1:
            return {group.keys[0]}
        groups, seen = self._groups, self._seen
        keys = group.keyset
        found = set(groups.by_chain(group).get(self._own, ()))
        # The steps of the group waited for alone before, walking the smaller side.
        if len(seen) < len(keys):
            found.update(
                other.keys[0] for other in seen if len(other.keys) == 1 and other.keys[0] in keys
            )
        else:
            found.update(key for key in keys if groups.alone.get(key) in seen)
        found.update(
            other.keys[0] for other in self._here if len(other.keys) == 1 and other.keys[0] in keys
        )
        for other, shared in groups.overlaps(group).items():
            if other in self._seen or other in self._here:
                found.update(shared)
        return found


def _topological(waits: list[ChainWaits], groups: _Groups) -> list[int]:
    """
    Order chains so each comes after those holding a step its first step waits for; among
    ready chains, the one whose head comes first in the document goes first, so the order
    is stable and reads like the file.
    """
    graph = _HeadGraph(len(waits))
    for chain, found in enumerate(waits):
        if found and found[0][0] == 0:
            graph.add(chain, found[0][1], groups)
    order = graph.order()
    if len(order) != len(waits):  # only a PipelineIR built by hand, unvalidated, gets here
        raise InvalidIR(
            "the pipeline's steps wait for each other in a cycle",
            hint="build the PipelineIR with harmont.load_ir, which names the steps on it",
        )
    return order


class _HeadGraph:
    """
    What the chains' first steps wait for, as a graph between chains in which a group is
    one node: complete once every chain holding its steps is placed, and a chain waiting
    for it is counted down once, not once per chain in it.
    """

    def __init__(self, count: int) -> None:
        #: Per chain: how many chains and groups it still waits for.
        self._waiting = [0] * count
        #: Per chain: the groups holding some of its steps.
        self._holds: list[list[WaitGroup]] = [[] for _ in range(count)]
        #: Per group: how many of the chains holding its steps are not placed yet.
        self._left: dict[WaitGroup, int] = {}
        self._waiters: dict[WaitGroup, list[int]] = {}

    def add(self, chain: int, units: tuple[WaitUnit, ...], groups: _Groups) -> None:
        """*chain*'s first step waits for *units*."""
        for group, _, _ in units:
            by_chain = groups.by_chain(group)
            if group not in self._left:
                self._left[group] = len(by_chain)
                self._waiters[group] = []
                for other in by_chain:
                    self._holds[other].append(group)
            self._waiters[group].append(chain)
            self._waiting[chain] += 1

    def order(self) -> list[int]:
        """The chains in order, lowest ready index first; short of some on a cycle."""
        waiting = self._waiting
        ready = [chain for chain, count in enumerate(waiting) if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            chain = heapq.heappop(ready)
            order.append(chain)
            released: list[int] = []
            for group in self._holds[chain]:
                self._left[group] -= 1
                if self._left[group] == 0:
                    released += self._waiters[group]
            for dependant in released:
                waiting[dependant] -= 1
                if waiting[dependant] == 0:
                    heapq.heappush(ready, dependant)
        return order
