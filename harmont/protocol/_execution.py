"""
What the host sends a step executor and what it gets back (docs/protocol.md).

``CacheDecision`` is a union of three classes; each carries its JSON tag in ``KIND`` and
its borsh variant index is its position in the union alias.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, TypeAlias

import attrs

from harmont.protocol._ir import CommandStep
from harmont.protocol._scalars import I32, U64, ArchiveId, SnapshotRef

__all__ = [
    "ArtifactRef",
    "CacheDecision",
    "CacheHit",
    "CacheMissBuildAs",
    "CacheMissNoCommit",
    "ExecutorInput",
    "StepResult",
]


@attrs.frozen(kw_only=True)
class CacheHit:
    """Boot from the cached snapshot ``tag`` and return it; do not run the command."""

    KIND: ClassVar[str] = "hit"

    #: String
    tag: str


@attrs.frozen(kw_only=True)
class CacheMissBuildAs:
    """Run the command and, on success, commit the result as ``tag`` and report it."""

    KIND: ClassVar[str] = "miss_build_as"

    #: String
    tag: str


@attrs.frozen(kw_only=True)
class CacheMissNoCommit:
    """Run the command; commit nothing to the cache."""

    KIND: ClassVar[str] = "miss_no_commit"


#: The host's cache verdict for one step; the executor must obey it.
CacheDecision: TypeAlias = CacheHit | CacheMissBuildAs | CacheMissNoCommit


@attrs.frozen(kw_only=True)
class ExecutorInput:
    """Everything an executor needs to run one step. Its JSON form rejects unknown fields."""

    #: CommandStep: the IR step after the host's patches.
    step: CommandStep
    #: ArchiveId (Uuid): handle to the packed source tree.
    workspace_archive_id: ArchiveId
    #: BTreeMap<String, String>: the merged env.
    env: dict[str, str]
    #: String: always ``/workspace``.
    workdir: str
    #: Uuid: one per ``hm run``.
    run_id: uuid.UUID
    #: Uuid: fresh per step execution.
    step_id: uuid.UUID
    #: CacheDecision
    cache_lookup: CacheDecision
    #: Option<SnapshotRef>: the snapshot to boot from; JSON default ``null``.
    parent_snapshot: SnapshotRef | None = None


@attrs.frozen(kw_only=True)
class ArtifactRef:
    """A file a step produced (declared by the protocol, not produced by any executor yet)."""

    #: String
    key: str
    #: String
    mime: str
    #: u64
    size_bytes: U64


@attrs.frozen(kw_only=True)
class StepResult:
    """How a step ended; ``committed_snapshot`` is set when the executor produced one."""

    #: i32
    exit_code: I32
    #: Option<SnapshotRef>
    committed_snapshot: SnapshotRef | None = None
    #: Vec<ArtifactRef>
    artifacts: tuple[ArtifactRef, ...] = ()
