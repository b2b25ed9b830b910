"""A cancel before ``build_start`` (runner checks, packing the source) ends the run at once."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import run_bounded

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import BuildEvent, ExecutorInput

_PIPELINE = {"version": "0", "steps": [{"type": "command", "key": "only", "cmd": "x"}]}


class _Checked(StepExecutor):
    """
    Runner ``checked``: its pre-flight check presses Ctrl-C (sets *cancel*), then takes
    until *release* is set to answer, as a check of an engine that never answers does.
    """

    manifest = manifest("checked-plugin", "1.0.0", executor("checked"))

    def __init__(self, cancel: threading.Event, release: threading.Event) -> None:
        self._cancel = cancel
        self._release = release

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        return StepResult(exit_code=0)

    @harmont.hookimpl
    def hm_check_runner(self, runner: str, images: Mapping[str, str | None]) -> None:
        if runner == "checked":
            self._cancel.set()
            self._release.wait()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set when the test ends, so a check left running finishes."""
    event = threading.Event()
    yield event
    event.set()


def _build(root: Path, release: threading.Event, events: list[BuildEvent]) -> None:
    """Build on runner ``checked``, whose check presses Ctrl-C and answers on *release*."""
    cancel = threading.Event()
    run_bounded(
        _PIPELINE,
        within=10,
        directory=root,
        runner="checked",
        cancel=cancel,
        on_event=events.append,
        plugins=[_Checked(cancel, release)],
    )


class TestCancelBeforeTheBuild:
    def test_a_cancel_during_a_hung_runner_check_raises_cancelled(
        self, hm_home: Path, release: threading.Event
    ) -> None:
        """A check that never answers does not hold a Ctrl-C: Cancelled, and no event."""
        events: list[BuildEvent] = []

        with pytest.raises(harmont.Cancelled, match=r"^cancelled while checking the runners$"):
            _build(hm_home, release, events)

        assert [] == events

    def test_a_cancel_before_packing_raises_cancelled(self, hm_home: Path) -> None:
        """A Ctrl-C that came during the checks stops the run before the source is packed."""
        answered = threading.Event()
        answered.set()
        events: list[BuildEvent] = []
        packing = f"^cancelled while packing {re.escape(str(hm_home.resolve()))}$"

        with pytest.raises(harmont.Cancelled, match=packing):
            _build(hm_home, answered, events)

        assert [] == events
