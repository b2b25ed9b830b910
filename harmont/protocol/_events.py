"""
The build event stream (docs/protocol.md): what renderers, hooks and ``--format json`` see.

``BuildEvent`` is a union of eight classes; each carries its JSON tag in ``KIND`` and its
borsh variant index is its position in the union alias.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, TypeAlias

import attrs

from harmont.protocol._enums import StdStream
from harmont.protocol._scalars import I32, U64, SnapshotRef, Usize

__all__ = [
    "BuildEnd",
    "BuildEvent",
    "BuildStart",
    "ChainFailed",
    "PlanSummary",
    "StepCacheHit",
    "StepEnd",
    "StepLog",
    "StepQueued",
    "StepStart",
]


@attrs.frozen(kw_only=True)
class PlanSummary:
    """The shape of a planned build, announced once in :class:`BuildStart`."""

    #: usize: command steps only.
    step_count: Usize
    #: usize
    chain_count: Usize
    #: String: the runner used by steps that name none.
    default_runner: str


@attrs.frozen(kw_only=True)
class BuildStart:
    """The build was planned and is about to run its first step."""

    KIND: ClassVar[str] = "build_start"

    #: Uuid: one per ``hm run``.
    run_id: uuid.UUID
    #: PlanSummary
    plan: PlanSummary
    #: DateTime<Utc>: i64 milliseconds on the borsh wire.
    started_at: datetime


@attrs.frozen(kw_only=True)
class StepQueued:
    """Its chain reached the step: the cache decision and the start come next."""

    KIND: ClassVar[str] = "step_queued"

    #: Uuid: fresh per step execution.
    step_id: uuid.UUID
    #: String: the step key.
    key: str
    #: usize: the index of the step's chain in the plan, as in ``ChainFailed.chain_idx``
    #: (not the step's position inside its chain).
    chain_idx: Usize


@attrs.frozen(kw_only=True)
class StepStart:
    """A step started running on its executor."""

    KIND: ClassVar[str] = "step_start"

    #: Uuid
    step_id: uuid.UUID
    #: String: the resolved runner (the default runner for a step that names none).
    runner: str
    #: Option<String>: the step's image; a chain root without one has the pipeline's
    #: default image stamped on.
    image: str | None = None


@attrs.frozen(kw_only=True)
class StepLog:
    """One line a step wrote to stdout or stderr."""

    KIND: ClassVar[str] = "step_log"

    #: Uuid
    step_id: uuid.UUID
    #: StdStream
    stream: StdStream
    #: String: the line without its ``\n`` or ``\r\n``, invalid UTF-8 replaced; a line
    #: longer than 64 KiB arrives in pieces.
    line: str
    #: DateTime<Utc>
    ts: datetime


@attrs.frozen(kw_only=True)
class StepCacheHit:
    """A step was satisfied from the cache and its command did not run."""

    KIND: ClassVar[str] = "step_cache_hit"

    #: Uuid
    step_id: uuid.UUID
    #: String: the cache key (not the step key).
    key: str
    #: String: the cached snapshot the chain continues from.
    tag: str


@attrs.frozen(kw_only=True)
class StepEnd:
    """A step finished, successfully or not."""

    KIND: ClassVar[str] = "step_end"

    #: Uuid
    step_id: uuid.UUID
    #: i32: the executor's exit code; 124 a step timeout, 130 cancelled, 1 when the
    #: runner's plugin failed.
    exit_code: I32
    #: u64
    duration_ms: U64
    #: Option<SnapshotRef>: what the executor committed, a live or a durable snapshot.
    snapshot: SnapshotRef | None = None


@attrs.frozen(kw_only=True)
class ChainFailed:
    """A chain stopped because one of its steps failed or a hook aborted it."""

    KIND: ClassVar[str] = "chain_failed"

    #: usize: the chain's index in the plan.
    chain_idx: Usize
    #: Uuid
    failed_step_id: uuid.UUID
    #: String
    failed_step_key: str
    #: i32: the failed step's exit code; 1 when its plugin failed or a hook aborted.
    exit_code: I32
    #: String: why, in one line; for a plugin failure, the plugin error naming the plugin.
    message: str
    #: DateTime<Utc>
    ts: datetime


@attrs.frozen(kw_only=True)
class BuildEnd:
    """
    The build finished; always the last event of a build.

    ``hm run`` exits with ``exit_code``, unless an error that is not a step's own stopped
    the build (the engine gone, a failing hook): it is raised after this event and its
    code wins.
    """

    KIND: ClassVar[str] = "build_end"

    #: i32: 0, 1 (a step failed), 6 (a plugin failed a step) or 130 (cancelled); the
    #: highest-ranked that applies, 130 > 6 > 1.
    exit_code: I32
    #: u64
    duration_ms: U64


#: One event of a build (JSON tag ``kind``; borsh index = position here).
BuildEvent: TypeAlias = (
    BuildStart | StepQueued | StepStart | StepLog | StepCacheHit | StepEnd | ChainFailed | BuildEnd
)
