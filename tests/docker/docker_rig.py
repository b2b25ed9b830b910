"""A rig that drives the docker executor through a real registry and host, step by step."""

from __future__ import annotations

import threading
import time
import uuid
from typing import TYPE_CHECKING

from harmont.protocol import (
    BuildEnd,
    CacheMissNoCommit,
    CommandStep,
    ExecutorInput,
    HookEvent,
    HookPhase,
    StdStream,
    StepLog,
)

if TYPE_CHECKING:
    from pathlib import Path

    from docker import APIClient

    from harmont import Registry
    from harmont.protocol import BuildEvent, CacheDecision, StepResult


class Rig:
    """
    One run of the docker executor: a source tree, its archive, the events it emits.

    Steps are executed one at a time through the registry, exactly as the scheduler calls
    them; :meth:`end` delivers ``build_end`` as the orchestrator does on every path.
    """

    def __init__(self, api: APIClient, image: str, source: Path) -> None:
        self.api = api
        self.image = image
        self.source = source
        self.run_id = uuid.uuid4()
        #: Every event the host emitted, with the monotonic time it arrived.
        self.events: list[tuple[float, BuildEvent]] = []
        self.cancel = threading.Event()
        self.registry: Registry | None = None
        self._archive_id: uuid.UUID | None = None

    def emit(self, event: BuildEvent) -> None:
        """The host's event sink."""
        self.events.append((time.monotonic(), event))

    @property
    def _registry(self) -> Registry:
        assert self.registry is not None
        return self.registry

    def pack(self) -> None:
        """Pack :attr:`source` as the run's archive (again, after a change)."""
        from harmont._orchestrator._source import pack_source

        archives = self._registry.host.archives
        assert archives is not None
        self._archive_id = archives.register(pack_source(self.source))

    def step(
        self,
        key: str,
        cmd: str,
        *,
        parent: str | None = None,
        decision: CacheDecision | None = None,
        image: str | None = None,
        env: dict[str, str] | None = None,
        timeout_seconds: int | None = None,
    ) -> tuple[StepResult, uuid.UUID]:
        """Run one step; returns its result and step id."""
        from harmont_sdk.testing import execute_step

        if self._archive_id is None:
            self.pack()
        assert self._archive_id is not None
        step_id = uuid.uuid4()
        executor_input = ExecutorInput(
            step=CommandStep(
                key=key, cmd=cmd, image=image or self.image, timeout_seconds=timeout_seconds
            ),
            workspace_archive_id=self._archive_id,
            env=env or {},
            workdir="/workspace",
            run_id=self.run_id,
            step_id=step_id,
            cache_lookup=decision or CacheMissNoCommit(),
            parent_snapshot=parent,
        )
        try:
            return execute_step(self._registry, executor_input), step_id
        finally:
            self._registry.host.end_step(step_id)

    def logs(
        self, step_id: uuid.UUID, stream: StdStream = StdStream.STDOUT
    ) -> list[tuple[float, str]]:
        """The lines *step_id* wrote to *stream*, with the time each was emitted."""
        return [
            (at, e.line)
            for at, e in self.events
            if isinstance(e, StepLog) and e.step_id == step_id and e.stream is stream
        ]

    def output(self, step_id: uuid.UUID, stream: StdStream = StdStream.STDOUT) -> list[str]:
        """The lines *step_id* wrote to *stream*."""
        return [line for _, line in self.logs(step_id, stream)]

    def run(self, key: str, cmd: str, *, parent: str | None = None) -> list[str]:
        """Run one step that must succeed; returns its stdout lines."""
        result, step_id = self.step(key, cmd, parent=parent)
        assert result.exit_code == 0, self.output(step_id, StdStream.STDERR)
        return self.output(step_id)

    def end(self) -> None:
        """Deliver ``build_end`` to the executor."""
        self._registry.dispatch_hook(
            HookEvent(event=BuildEnd(exit_code=0, duration_ms=0), phase=HookPhase.AFTER),
            lambda plugin: self._registry.host.context(plugin, run_id=self.run_id),
        )

    def leftovers(self) -> tuple[list[str], list[str]]:
        """This run's containers and ephemeral image tags still in the engine."""
        return run_leftovers(self.api, self.run_id)


def run_leftovers(api: APIClient, run_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """Containers (any state) and ephemeral images labelled with *run_id*."""
    run_label = f"dev.harmont.run={run_id}"
    containers = [c["Names"][0] for c in api.containers(all=True, filters={"label": run_label})]
    ephemeral = {"label": [run_label, "dev.harmont.kind=ephemeral"]}
    images = [t for i in api.images(all=True, filters=ephemeral) for t in i["RepoTags"] or []]
    return containers, images
