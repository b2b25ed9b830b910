"""
Build traces (`hm run --trace FILE`): where a run's time went, as Chrome trace-event JSON.

The file opens in Perfetto (ui.perfetto.dev) or ``chrome://tracing``, and `hm trace
summary` reads it back (:mod:`._trace_summary`). Its tracks ("threads" of process 1):

- ``hm``: the run's own stages, one after another (discover, load plugins, plan,
  pre-flight, pack, build), and the plugin calls that serve no step (``build_start``
  hooks, runner checks);
- ``chain N: LABEL``: one per chain of the plan, a slice per step with two phases,
  ``queued`` (from the moment everything it needs had finished until it started: a free
  slot, hooks, the cache lookup) and ``running``, or ``cached`` when the runner restored a
  cached snapshot instead; the plugin calls made for the step nest inside them;
- ``pull IMAGE``: one per image pulled before the build.

A step's slice names what it needs in its args (its chain's previous step, the steps it
waits for, its fork parent), so the critical path can be found without the pipeline.

The run calls into a :class:`Tracer` only where a stage, a step's event or a plugin call
begins or ends, and only when tracing was asked for: with no tracer nothing here runs.
Whatever happens to the build, the file is written when the run ends, or by the forced
exit of a second Ctrl-C, always as a whole JSON document (written aside, then renamed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont._errors import UsageError
from harmont._ir._plan import waited_for
from harmont._orchestrator._bus import takes_log_batches
from harmont._orchestrator._cleanup import on_forced_exit
from harmont._orchestrator._result import EXIT_CANCELLED
from harmont.protocol import BuildStart, HookEvent, StepCacheHit, StepEnd, StepQueued, StepStart

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Iterator

    from harmont._ir._plan import Plan
    from harmont._orchestrator._preflight import PullProgress
    from harmont._plugins._step_output import StepLogBatch
    from harmont.protocol import BuildEvent

__all__ = [
    "CATEGORY_PHASE",
    "CATEGORY_PLUGIN",
    "CATEGORY_PULL",
    "CATEGORY_STAGE",
    "CATEGORY_STEP",
    "Tracer",
]

#: The ``cat`` of each kind of slice, which is how `hm trace summary` tells them apart.
CATEGORY_STAGE: Final = "stage"
CATEGORY_STEP: Final = "step"
CATEGORY_PHASE: Final = "phase"
CATEGORY_PLUGIN: Final = "plugin"
CATEGORY_PULL: Final = "pull"

#: The one process of the trace, and the track of hm's own stages.
_PID: Final = 1
_HM_TRACK: Final = 0
#: The first track of image pulls (chain N is track N + 1).
_PULL_TRACKS: Final = 1_000_000

#: Tracers whose run has not ended: a forced exit writes what they recorded.
_OPEN: Final[weakref.WeakSet[Tracer]] = weakref.WeakSet()


@attrs.define(kw_only=True)
class _Step:
    """One execution of a step, from its ``step_queued`` on."""

    key: str
    chain: int
    #: When everything it needs had finished (µs), or the build started if it needs nothing.
    ready: int
    started: int | None = None
    cached: bool = False


@final
class Tracer:
    """
    Records one run's slices with monotonic timestamps and writes them to *path*.

    Thread-safe: stages run on the main thread, steps on the chains' workers, plugin
    calls and pulls on threads of their own.

    :raises UsageError: *path* cannot be written (checked now, before the run starts).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        try:
            # Made now so a bad path is refused before anything runs, not after the build.
            self._path.write_text('{"traceEvents": []}\n', encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot write the trace to {self._path}: {exc.strerror or exc}",
                hint="give --trace a file path in an existing, writable directory",
            ) from None
        self._origin = time.perf_counter_ns()
        self._lock = threading.Lock()
        self._written = False
        #: (name, category, track, start µs, end µs, args)
        self._slices: list[tuple[str, str, int, int, int, dict[str, object]]] = []
        self._tracks: dict[int, str] = {_HM_TRACK: "hm"}
        self._stage: tuple[str, int] | None = None
        self._steps: dict[uuid.UUID, _Step] = {}
        self._ended: dict[str, int] = {}
        self._needs: dict[str, tuple[str, ...]] = {}
        self._labels: dict[str, str] = {}
        self._pulls: dict[str, int] = {}
        self._build_started = 0
        _OPEN.add(self)

    def _now(self) -> int:
        return (time.perf_counter_ns() - self._origin) // 1000

    def _add(
        self,
        name: str,
        category: str,
        track: int,
        *,
        start: int,
        end: int,
        args: dict[str, object],
    ) -> None:
        with self._lock:
            self._slices.append((name, category, track, start, end, args))

    # -- hm's stages -------------------------------------------------------------------

    def stage(self, name: str) -> None:
        """End the current stage of the run (if any) and begin *name*."""
        now = self._now()
        with self._lock:
            previous, self._stage = self._stage, (name, now)
        if previous is not None:
            self._add(previous[0], CATEGORY_STAGE, _HM_TRACK, start=previous[1], end=now, args={})

    # -- steps -------------------------------------------------------------------------

    def subscriber(self, plan: Plan) -> Callable[[BuildEvent | StepLogBatch], None]:
        """
        A bus subscriber that turns *plan*'s step events into slices on its chains' tracks.

        It takes step output as batches, and ignores them: a traced build's logs cost
        nothing more.
        """
        with self._lock:
            for chain in plan.chains:
                first = chain.steps[0]
                self._tracks[chain.index + 1] = f"chain {chain.index}: {first.label or first.key}"
                waits = dict(waited_for(chain))
                previous: list[str] = []
                for position, step in enumerate(chain.steps):
                    needs = [*previous, *waits.get(position, ())]
                    self._needs[step.key] = tuple(dict.fromkeys(needs))
                    self._labels[step.key] = step.label or step.key
                    previous = [step.key]

        @takes_log_batches
        def on_event(event: BuildEvent | StepLogBatch) -> None:
            if isinstance(event, BuildStart):
                self._build_started = self._now()
            elif isinstance(event, StepQueued):
                self._queued(event)
            elif isinstance(event, StepCacheHit):
                self._cache_hit(event)
            elif isinstance(event, StepStart):
                self._started(event)
            elif isinstance(event, StepEnd):
                self._step_end(event.step_id, self._now(), exit_code=event.exit_code)

        return on_event

    def _queued(self, event: StepQueued) -> None:
        now = self._now()
        with self._lock:
            ends = [self._ended[k] for k in self._needs.get(event.key, ()) if k in self._ended]
            # A step that needs nothing could start with the build: what came between
            # was waiting for a free slot.
            ready = min(max(ends, default=self._build_started), now)
            self._steps[event.step_id] = _Step(key=event.key, chain=event.chain_idx, ready=ready)

    def _cache_hit(self, event: StepCacheHit) -> None:
        with self._lock:
            step = self._steps.get(event.step_id)
            if step is not None:
                step.cached = True

    def _started(self, event: StepStart) -> None:
        now = self._now()
        with self._lock:
            step = self._steps.get(event.step_id)
            if step is not None:
                step.started = now

    def _step_end(self, step_id: uuid.UUID, now: int, *, exit_code: int | None) -> None:
        """Record the slices of a step that ended (``exit_code`` None: it never did)."""
        with self._lock:
            step = self._steps.pop(step_id, None)
            if step is None:
                return
            self._ended[step.key] = now
        track = step.chain + 1
        started = step.started if step.started is not None else now
        if exit_code is None:
            status = "unfinished"
        elif exit_code == EXIT_CANCELLED:
            status = "cancelled"
        elif exit_code != 0:
            status = f"failed (exit {exit_code})"
        else:
            status = "cached" if step.cached else "passed"
        args: dict[str, object] = {
            "key": step.key,
            "chain": step.chain,
            "needs": list(self._needs.get(step.key, ())),
            "status": status,
            "queued_us": started - step.ready,
        }
        label = self._labels.get(step.key, step.key)
        self._add(label, CATEGORY_STEP, track, start=step.ready, end=now, args=args)
        phase_args: dict[str, object] = {"key": step.key}
        self._add("queued", CATEGORY_PHASE, track, start=step.ready, end=started, args=phase_args)
        if step.started is not None:
            work = "cached" if step.cached else "running"
            self._add(work, CATEGORY_PHASE, track, start=started, end=now, args=phase_args)

    # -- plugin calls and pulls ----------------------------------------------------------

    @contextlib.contextmanager
    def plugin_call(self, plugin: str, hook: str, **call: object) -> Iterator[None]:
        """
        A slice for one call of *hook* on *plugin*, on the track of the step it serves.

        :param call: the call's keyword arguments, read for its step: the context's
            step, or the step of the event a hook is given.
        """
        track = self._track_of(call)
        start = self._now()
        try:
            yield
        finally:
            args: dict[str, object] = {"plugin": plugin, "hook": hook}
            name = f"{plugin}: {hook}"
            self._add(name, CATEGORY_PLUGIN, track, start=start, end=self._now(), args=args)

    def _track_of(self, call: dict[str, object]) -> int:
        event = call.get("hook_event")
        if isinstance(event, HookEvent) and isinstance(event.event, StepQueued):
            return event.event.chain_idx + 1  # before the step is known: its queued hooks
        step_id = getattr(call.get("context"), "step_id", None)
        with self._lock:
            step = self._steps.get(step_id) if step_id is not None else None
        return _HM_TRACK if step is None else step.chain + 1

    def pulls(
        self, subscriber: Callable[[PullProgress], None] | None
    ) -> Callable[[PullProgress], None]:
        """*subscriber* (an ``on_pull``), with each image's pull recorded as a slice too."""

        def on_pull(progress: PullProgress) -> None:
            now = self._now()
            with self._lock:
                started = self._pulls.setdefault(progress.image, now)
                if progress.finished:
                    del self._pulls[progress.image]
            if progress.finished:
                self._add_pull(progress.image, started, now, "pulled")
            if subscriber is not None:
                subscriber(progress)

        return on_pull

    def _add_pull(self, image: str, start: int, end: int, status: str) -> None:
        with self._lock:
            track = next((t for t, n in self._tracks.items() if n == f"pull {image}"), None)
            if track is None:  # numbered past any chain's, as pulls come before the plan's tracks
                track = _PULL_TRACKS + sum(t >= _PULL_TRACKS for t in self._tracks)
                self._tracks[track] = f"pull {image}"
        args: dict[str, object] = {"image": image, "status": status}
        self._add(image, CATEGORY_PULL, track, start=start, end=end, args=args)

    # -- the file ------------------------------------------------------------------------

    def close(self) -> None:
        """
        End what is still open (the current stage, steps and pulls that never ended) and
        write the file; later calls do nothing.

        A file that cannot be written (its directory removed meanwhile) is a warning: the
        build's own outcome matters more than its trace.
        """
        with self._lock:
            if self._written:
                return
            self._written = True
            stage, self._stage = self._stage, None
            steps = list(self._steps)
            pulls, self._pulls = dict(self._pulls), {}
        _OPEN.discard(self)
        now = self._now()
        if stage is not None:
            self._add(stage[0], CATEGORY_STAGE, _HM_TRACK, start=stage[1], end=now, args={})
        for step_id in steps:
            self._step_end(step_id, now, exit_code=None)
        for image, start in pulls.items():
            self._add_pull(image, start, now, "unfinished")
        with self._lock:
            document = {"traceEvents": self._events(), "displayTimeUnit": "ms"}
        aside = self._path.with_name(f".{self._path.name}.{os.getpid()}.tmp")
        try:
            aside.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
            aside.replace(self._path)
        except OSError as exc:
            logging.getLogger(__name__).warning(
                "could not write the trace to %s: %s", self._path, exc.strerror or exc
            )

    def _events(self) -> list[dict[str, object]]:
        meta = [_metadata("process_name", _HM_TRACK, {"name": "hm run"})]
        for track, name in sorted(self._tracks.items()):
            meta.append(_metadata("thread_name", track, {"name": name}))
            meta.append(_metadata("thread_sort_index", track, {"sort_index": track}))
        # Earliest first, and a parent before the children that start with it.
        ordered = sorted(self._slices, key=lambda s: (s[3], -s[4]))
        return meta + [
            {
                "ph": "X",
                "name": name,
                "cat": category,
                "ts": start,
                "dur": max(end - start, 0),
                "pid": _PID,
                "tid": track,
                "args": args,
            }
            for name, category, track, start, end, args in ordered
        ]


def _metadata(name: str, track: int, args: dict[str, object]) -> dict[str, object]:
    """A metadata event: how a viewer names and orders the tracks."""
    return {"ph": "M", "name": name, "pid": _PID, "tid": track, "args": args}


def _write_open_traces() -> None:
    """A forced exit: write every trace whose run had not ended, as it stands."""
    for tracer in list(_OPEN):
        tracer.close()


on_forced_exit(_write_open_traces)
