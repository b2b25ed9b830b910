"""
The build event stream (SPEC.md §2.7): what renderers, hooks and ``--format json`` see.

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
    """A step was queued on its chain."""

    KIND: ClassVar[str] = "step_queued"

    #: Uuid: fresh per step execution.
    step_id: uuid.UUID
    #: String: the step key.
    key: str
    #: usize: the step's position inside its chain (not the chain's index).
    chain_idx: Usize


@attrs.frozen(kw_only=True)
class StepStart:
    """A step started running on its executor."""

    KIND: ClassVar[str] = "step_start"

    #: Uuid
    step_id: uuid.UUID
    #: String
    runner: str
    #: Option<String>
    image: str | None = None


@attrs.frozen(kw_only=True)
class StepLog:
    """One line a step wrote to stdout or stderr."""

    KIND: ClassVar[str] = "step_log"

    #: Uuid
    step_id: uuid.UUID
    #: StdStream
    stream: StdStream
    #: String: the line without its newline.
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
    #: i32
    exit_code: I32
    #: u64
    duration_ms: U64
    #: Option<SnapshotRef>
    snapshot: SnapshotRef | None = None


@attrs.frozen(kw_only=True)
class ChainFailed:
    """A chain stopped because one of its steps failed."""

    KIND: ClassVar[str] = "chain_failed"

    #: usize: the chain's index in the plan.
    chain_idx: Usize
    #: Uuid
    failed_step_id: uuid.UUID
    #: String
    failed_step_key: str
    #: i32
    exit_code: I32
    #: String
    message: str
    #: DateTime<Utc>
    ts: datetime


@attrs.frozen(kw_only=True)
class BuildEnd:
    """The build finished; ``exit_code`` is what ``hm run`` exits with."""

    KIND: ClassVar[str] = "build_end"

    #: i32
    exit_code: I32
    #: u64
    duration_ms: U64


#: One event of a build (JSON tag ``kind``; borsh index = position here).
BuildEvent: TypeAlias = (
    BuildStart | StepQueued | StepStart | StepLog | StepCacheHit | StepEnd | ChainFailed | BuildEnd
)
