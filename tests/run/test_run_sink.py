"""The host's event sink of a run: nothing plugins emit before the bus exists is lost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from harmont._orchestrator._run import _Sink
from harmont.protocol import BuildEvent, StdStream, StepLog

_NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _log(line: str) -> StepLog:
    return StepLog(step_id=uuid.UUID(int=1), stream=StdStream.STDOUT, line=line, ts=_NOW)


class _Recorder:
    """Stands for the run's EventBus: records what is published through it."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.published: list[BuildEvent] = []

    def publish(self, event: BuildEvent) -> None:
        self.published.append(event)
        if event == _log("early"):
            self.sink(_log("during replay"))  # a hook emitting while the backlog is replayed


class TestSink:
    def test_events_before_the_bus_are_replayed_in_order(self) -> None:
        """What was emitted before attach is delivered first, then everything goes straight on."""
        sink = _Sink()
        bus = _Recorder(sink)
        sink(_log("early"))
        sink(_log("earlier still pending"))

        sink.attach(bus)  # type: ignore[arg-type]
        sink(_log("late"))

        assert ["early", "earlier still pending", "during replay", "late"] == [
            e.line for e in bus.published if isinstance(e, StepLog)
        ]
