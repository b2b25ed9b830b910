"""
The run's event bus: every build event goes through here, to hooks and to subscribers.

Publishing one event means, in this order: the ``before`` hooks subscribed to its kind
(which may abort), then every subscriber (renderers, the embedder's ``on_event``, the
result's event list), then the ``after`` hooks. An event is always delivered to the
subscribers and ``after`` hooks, even when a ``before`` hook aborted: the abort stops the
action the event announces (the build, the step), not the record of it.

Events come from several threads (one per running chain, plus executors' log output).
Subscribers are called under one lock, so each sees events one at a time and in one
global order; hooks are called outside it, because a hook may itself emit an event.
The bus never raises into its publishers: a failing hook or subscriber is reported to the
run through ``on_error`` and the run stops.

Step output arrives as :class:`~harmont._plugins._step_output.StepLogBatch` (many lines
at once). A subscriber marked with :func:`takes_log_batches` receives the batch itself;
every other subscriber, and hooks subscribed to ``step_log``, receive one ``StepLog`` per
line, built only when one of them exists. Either way each subscriber sees the lines in
the same global order as every other event.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar, cast

from harmont._errors import HarmontError, PluginRuntimeError
from harmont._plugins._step_output import StepLogBatch
from harmont.protocol import (
    BuildEnd,
    HookAbort,
    HookEvent,
    HookEventKind,
    HookPhase,
    StepCacheHit,
    StepEnd,
    StepLog,
    StepQueued,
    StepStart,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Sequence

    from harmont._plugins._host import Host
    from harmont._plugins._manager import Registry
    from harmont.protocol import BuildEvent

__all__ = ["EventBus", "takes_log_batches"]

_F = TypeVar("_F", bound="Callable[..., Any]")
_BATCHES = "__harmont_log_batches__"


def takes_log_batches(subscriber: _F) -> _F:
    """
    Mark *subscriber* (a function or method) as accepting ``StepLogBatch`` besides events.

    The bus then hands it a step's lines as one batch instead of one ``StepLog`` per line,
    which is what lets a renderer write a million lines a second. Unmarked subscribers
    (an embedder's ``on_event``) keep receiving plain events.
    """
    setattr(subscriber, _BATCHES, True)
    return subscriber


def _step_of(event: BuildEvent) -> uuid.UUID | None:
    if isinstance(event, StepQueued | StepStart | StepLog | StepCacheHit | StepEnd):
        return event.step_id
    return None


def _listened(registry: Registry, phase: HookPhase) -> frozenset[str]:
    """The ``KIND`` of every event some hook of *phase* is subscribed to."""
    return frozenset(kind.value for kind in HookEventKind if registry.hooks(kind, phase))


class EventBus:
    """
    Delivers one run's events.

    :param subscribers: called with every event, in order, under the bus lock.
    :param on_error: told about a hook or subscriber failure; the run then stops.
    """

    def __init__(
        self,
        *,
        registry: Registry,
        host: Host,
        run_id: uuid.UUID,
        subscribers: Sequence[Callable[[BuildEvent], None]],
        on_error: Callable[[HarmontError | Exception], None],
    ) -> None:
        self._registry = registry
        self._host = host
        self._run_id = run_id
        self._subscribers = tuple(
            (subscriber, getattr(subscriber, _BATCHES, False)) for subscriber in subscribers
        )
        self._on_error = on_error
        self._lock = threading.Lock()
        # Hooks are fixed for the run: knowing who listens, by the events' own ``KIND``
        # strings, costs an event nobody hooks one set lookup per phase (chain_failed has
        # no hook kind, so nothing listens to it).
        self._before = _listened(registry, HookPhase.BEFORE)
        self._after = _listened(registry, HookPhase.AFTER)

    def publish(self, event: BuildEvent | StepLogBatch) -> HookAbort | None:
        """Deliver *event*; return the first ``before`` hook's abort, if one aborted."""
        if isinstance(event, StepLogBatch):
            self._publish_batch(event)
            return None
        abort = self._hooks(event, HookPhase.BEFORE) if event.KIND in self._before else None
        with self._lock:
            for subscriber, _ in self._subscribers:
                try:
                    subscriber(event)
                except Exception as exc:  # an embedder's callback: stop the run, keep going here
                    self._on_error(exc)
        if event.KIND in self._after:
            self._hooks(event, HookPhase.AFTER)
        return abort

    def _publish_batch(self, batch: StepLogBatch) -> None:
        if StepLog.KIND in self._before or StepLog.KIND in self._after:
            # Hooks see every line as its own event, between their subscribers' turns.
            for event in batch.events():
                self.publish(event)
            return
        events: list[StepLog] | None = None
        with self._lock:
            for subscriber, batches in self._subscribers:
                try:
                    if batches:
                        cast("Callable[[StepLogBatch], None]", subscriber)(batch)
                        continue
                    if events is None:
                        events = batch.events()
                    for event in events:
                        subscriber(event)
                except Exception as exc:  # an embedder's callback: stop the run, keep going here
                    self._on_error(exc)

    def _hooks(self, event: BuildEvent, phase: HookPhase) -> HookAbort | None:
        if phase is HookPhase.BEFORE and isinstance(event, BuildEnd):
            return None  # nothing is left to stop: build_end is an after-only event
        step_id = _step_of(event)
        try:
            outcome = self._registry.dispatch_hook(
                HookEvent(event=event, phase=phase),
                lambda plugin: self._host.context(plugin, run_id=self._run_id, step_id=step_id),
            )
        except PluginRuntimeError as exc:
            self._on_error(exc)
            return None
        return outcome if isinstance(outcome, HookAbort) else None
