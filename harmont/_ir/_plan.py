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

The planner also applies what the host adds to each step: the env merge (DSL baseline <
pipeline < step < the caller's overrides), the default image of root steps, and the
resolved runner, checked against the runners the caller has. The graph form already
carries the baseline in each node's env; adding it again makes the flat form run with the
same env.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import attrs

from harmont._errors import InvalidIR, UnknownRunner
from harmont._ir._model import Dependency
from harmont._step_env import BASELINE_ENV
from harmont.protocol import CommandStep, PlanSummary

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from harmont._ir._model import PipelineIR

__all__ = ["Chain", "ChainDependency", "Plan", "plan"]


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
    #: The chains holding the steps that the first step waits for, in index order.
    depends_on: tuple[ChainDependency, ...]
    #: Every wait of a step of this chain on a step of another chain (the fork parent
    #: included), ordered by the waiting step's position, then by plan order of the step
    #: waited for. A step waits only where an earlier step of its chain did not already.
    waits: tuple[Dependency, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        """The step keys, in run order."""
        return tuple(step.key for step in self.steps)


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

    waits_for, children = _needs(ir, steps, position)

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

    waits = [_chain_waits(chain, chain_of, waits_for) for chain in members]
    # Only first steps order the chains: a later step pauses its chain instead.
    head_needs: list[dict[int, bool]] = []
    for chain_waits in waits:
        needs: dict[int, bool] = {}
        for (at, after), required in chain_waits.items():
            if at == 0:
                needs[chain_of[after]] = needs.get(chain_of[after], False) or required
        head_needs.append(needs)

    order = _topological(head_needs)
    renumber = {old: new for new, old in enumerate(order)}
    rank = {index: (renumber[chain_of[index]], index) for index in range(len(steps))}
    chains = []
    for new, old in enumerate(order):
        chain = members[old]
        chains.append(
            Chain(
                index=new,
                steps=tuple(steps[index] for index in chain),
                fork_parent=steps[chain[0]].builds_in,
                depends_on=tuple(
                    ChainDependency(chain=renumber[other], requires_success=required)
                    for other, required in sorted(
                        head_needs[old].items(), key=lambda item: renumber[item[0]]
                    )
                ),
                waits=tuple(
                    Dependency(
                        step=steps[chain[at]].key, after=steps[after].key, requires_success=req
                    )
                    for (at, after), req in sorted(
                        waits[old].items(), key=lambda item: (item[0][0], rank[item[0][1]])
                    )
                ),
            )
        )
    return Plan(
        chains=tuple(chains), default_runner=default_runner, timeout_seconds=ir.timeout_seconds
    )


def _needs(
    ir: PipelineIR, steps: list[CommandStep], position: Mapping[str, int]
) -> tuple[list[dict[int, bool]], list[list[int]]]:
    """
    Everything each step waits for (``builds_in`` counts), with whether it must have
    succeeded; and each step's children. A wait is taken whole: one dict update per step
    behind it, not one Python step per dependency.
    """
    waits_for: list[dict[int, bool]] = [{} for _ in steps]
    children: list[list[int]] = [[] for _ in steps]
    for index, step in enumerate(steps):
        if step.builds_in is not None:
            parent = position[step.builds_in]
            waits_for[index][parent] = True
            children[parent].append(index)
    for keys, after_keys, required in ir.dependency_groups():
        waited = [position[key] for key in after_keys]
        for key in keys:
            waiting = waits_for[position[key]]
            if required:  # a need of success wins over a wait that does not need it
                waiting.update(dict.fromkeys(waited, True))
            else:
                waiting.update({index: False for index in waited if index not in waiting})
    return waits_for, children


def _chain_waits(
    chain: list[int], chain_of: list[int], waits_for: list[dict[int, bool]]
) -> dict[tuple[int, int], bool]:
    """
    The waits of *chain*'s steps on steps of other chains, as ``{(position, step): required}``.

    Steps of the same chain are ordered by the chain itself. A step already waited for at an
    earlier position has finished by then: it is waited for again only when this step needs
    its success and the earlier wait did not.
    """
    own = chain_of[chain[0]]
    seen: dict[int, bool] = {}
    found: dict[tuple[int, int], bool] = {}
    for at, member in enumerate(chain):
        for after, required in waits_for[member].items():
            if chain_of[after] == own or (after in seen and seen[after] >= required):
                continue
            seen[after] = required or seen.get(after, False)
            found[(at, after)] = required
    return found


def _topological(needs: list[dict[int, bool]]) -> list[int]:
    """
    Order chains so each comes after those it needs; among ready chains, the one whose head
    comes first in the document goes first, so the order is stable and reads like the file.
    """
    waiting = [len(need) for need in needs]
    dependants: list[list[int]] = [[] for _ in needs]
    for chain, need in enumerate(needs):
        for other in need:
            dependants[other].append(chain)
    ready = [chain for chain, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        chain = heapq.heappop(ready)
        order.append(chain)
        for dependant in dependants[chain]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(ready, dependant)
    if len(order) != len(needs):  # only a PipelineIR built by hand, unvalidated, gets here
        raise InvalidIR(
            "the pipeline's steps wait for each other in a cycle",
            hint="build the PipelineIR with harmont.load_ir, which names the steps on it",
        )
    return order
