"""
The planner: turns a validated :class:`PipelineIR` into chains a scheduler can run.

A chain is the unit that owns one live execution environment (one container, one working
directory): its steps run in order, each starting from the state the previous one left.
A step continues its parent's chain when it is the parent's only child and waits for
nothing else (SPEC.md §1.8 rule 7). Otherwise it starts a chain of its own: from its
parent's end state (a fork, or a step behind a wait), or from an image if it has no parent.
Chains wait for one another (rule 8); the plan lists, for each chain, the chains it waits
for and whether each must have succeeded.

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

from harmont._dsl._graph import BASELINE_ENV
from harmont._errors import InvalidIR, UnknownRunner
from harmont.protocol import CommandStep, PlanSummary

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from harmont._ir._model import PipelineIR

__all__ = ["Chain", "ChainDependency", "Plan", "plan"]


@attrs.frozen(kw_only=True)
class ChainDependency:
    """A chain waits for chain ``chain`` (an index into :attr:`Plan.chains`) to finish."""

    chain: int
    #: False when every edge behind this dependency comes from a wait with
    #: ``continue_on_failure``: the waiting chain runs whatever the outcome. A fork
    #: (``builds_in``) always needs success: there is no end state to start from otherwise.
    requires_success: bool


@attrs.frozen(kw_only=True)
class Chain:
    """Steps that run one after another in one execution environment."""

    #: Position in :attr:`Plan.chains`; chains come in an order that respects dependencies.
    index: int
    #: The steps in run order, with merged env, stamped image and resolved runner.
    steps: tuple[CommandStep, ...]
    #: The key of the step whose end state this chain starts from (the first step's
    #: ``builds_in``): a fork parent, or a parent behind a wait. None: start from an image.
    fork_parent: str | None
    #: The chains that must finish before this one starts, in index order.
    depends_on: tuple[ChainDependency, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The step keys, in run order."""
        return tuple(step.key for step in self.steps)


@attrs.frozen(kw_only=True)
class Plan:
    """A pipeline ready to schedule: its chains, in an order that respects every edge."""

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
            hint="install the plugin that provides it, or change the step's runner",
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

    # Everything a step waits for, with whether it must have succeeded; builds_in counts.
    waits_for: list[dict[int, bool]] = [{} for _ in steps]
    children: list[list[int]] = [[] for _ in steps]
    for index, step in enumerate(steps):
        if step.builds_in is not None:
            parent = position[step.builds_in]
            waits_for[index][parent] = True
            children[parent].append(index)
    for dependency in ir.dependencies:
        waiting = waits_for[position[dependency.step]]
        after = position[dependency.after]
        waiting[after] = waiting.get(after, False) or dependency.requires_success

    def continues_chain(index: int) -> bool:
        parent = steps[index].builds_in
        if parent is None:
            return False
        parent_index = position[parent]
        return children[parent_index] == [index] and waits_for[index] == {parent_index: True}

    # Grow each chain from its head; heads in document order give the tie-break below.
    chain_of = [-1] * len(steps)
    members: list[list[int]] = []
    for head in range(len(steps)):
        if continues_chain(head):
            continue
        chain = [head]
        while len(children[chain[-1]]) == 1 and continues_chain(children[chain[-1]][0]):
            chain.append(children[chain[-1]][0])
        for index in chain:
            chain_of[index] = len(members)
        members.append(chain)

    # Only a chain's head waits on other chains: every later step waits on its parent alone.
    needs_chain: list[dict[int, bool]] = []
    for chain in members:
        needs: dict[int, bool] = {}
        for after, requires_success in waits_for[chain[0]].items():
            other = chain_of[after]
            needs[other] = needs.get(other, False) or requires_success
        needs_chain.append(needs)

    order = _topological(needs_chain)
    renumber = {old: new for new, old in enumerate(order)}
    chains = []
    for new, old in enumerate(order):
        first = steps[members[old][0]]
        chains.append(
            Chain(
                index=new,
                steps=tuple(steps[index] for index in members[old]),
                fork_parent=first.builds_in,
                depends_on=tuple(
                    sorted(
                        (
                            ChainDependency(chain=renumber[other], requires_success=required)
                            for other, required in needs_chain[old].items()
                        ),
                        key=lambda dependency: dependency.chain,
                    )
                ),
            )
        )
    return Plan(
        chains=tuple(chains), default_runner=default_runner, timeout_seconds=ir.timeout_seconds
    )


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
