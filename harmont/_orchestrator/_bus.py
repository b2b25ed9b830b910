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
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from harmont._errors import HarmontError, PluginRuntimeError
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

__all__ = ["EventBus"]


def _step_of(event: BuildEvent) -> uuid.UUID | None:
    if isinstance(event, StepQueued | StepStart | StepLog | StepCacheHit | StepEnd):
        return event.step_id
    return None


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
        self._subscribers = tuple(subscribers)
        self._on_error = on_error
        self._lock = threading.Lock()
        # Hooks are fixed for the run: knowing who listens keeps step_log cheap.
        self._listening = {
            (kind, phase): bool(registry.hooks(kind, phase))
            for kind in HookEventKind
            for phase in HookPhase
        }

    def publish(self, event: BuildEvent) -> HookAbort | None:
        """Deliver *event*; return the first ``before`` hook's abort, if one aborted."""
        abort = self._hooks(event, HookPhase.BEFORE)
        with self._lock:
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception as exc:  # an embedder's callback: stop the run, keep going here
                    self._on_error(exc)
        self._hooks(event, HookPhase.AFTER)
        return abort

    def _hooks(self, event: BuildEvent, phase: HookPhase) -> HookAbort | None:
        kind = HookEventKind(event.KIND) if event.KIND != "chain_failed" else None
        if kind is None or not self._listening[(kind, phase)]:
            return None
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
