"""A runner that never returns is given up on 5 s past its step's timeout or the build's stop."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

import pytest

from harmont.protocol import BuildEnd, StepEnd
from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import command, run_bounded, until

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import BuildEvent, ExecutorInput

#: Ample for a hung call to be abandoned: the grace period is 5 s.
_WITHIN: Final = 30


class _Deaf(StepExecutor):
    """Runner ``deaf``: ignores its step's timeout and the build's stop until released."""

    manifest = manifest("deaf-plugin", "1.0.0", executor("deaf"))

    def __init__(self) -> None:
        self.release = threading.Event()
        self.returned = threading.Event()
        #: The thread the call runs on (a chain's worker), and the name it had meanwhile.
        self.worker: tuple[threading.Thread, str] | None = None

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        thread = threading.current_thread()
        self.worker = (thread, thread.name)
        try:
            self.release.wait(_WITHIN * 2)
            return StepResult(exit_code=0)
        finally:
            self.returned.set()


def _pipeline(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"version": "0", "steps": list(steps)}


@pytest.mark.slow
class TestAbandon:
    def test_a_runner_past_its_steps_timeout_times_the_step_out(self, hm_home: Path) -> None:
        """The step ends 124; its slot goes to the next chain; the late return changes nothing."""
        deaf = _Deaf()
        events: list[BuildEvent] = []
        result = run_bounded(
            _pipeline(
                command("stuck", "ignored", runner="deaf", timeout_seconds=1),
                command("later", "true"),
            ),
            within=_WITHIN,
            directory=hm_home,
            runner="local",
            parallelism=1,
            keep_going=True,
            plugins=[deaf],
            on_event=events.append,
        )
        seen = len(events)
        deaf.release.set()
        assert deaf.returned.wait(_WITHIN)
        assert deaf.worker is not None
        thread, name = deaf.worker
        # The worker unwinds after the call returns; what it does then comes before it
        # takes another name (idle) or ends.
        until(lambda: thread.name != name or not thread.is_alive(), "the worker to unwind")

        assert 1 == result.exit_code
        assert {"stuck": "timed_out", "later": "passed"} == {
            step.key: step.status.value for step in result.steps
        }
        assert [124, 0] == [e.exit_code for e in events if isinstance(e, StepEnd)]
        assert isinstance(events[-1], BuildEnd)
        assert seen == len(events)

    def test_a_runner_deaf_to_the_builds_stop_is_cancelled(self, hm_home: Path) -> None:
        """Ctrl-C while the runner ignores it: 5 s later the step ends 130 and the build too."""
        deaf = _Deaf()
        cancel = threading.Event()

        def on_event(event: BuildEvent) -> None:
            if event.KIND == "step_start":
                cancel.set()

        result = run_bounded(
            _pipeline(command("stuck", "ignored", runner="deaf")),
            within=_WITHIN,
            directory=hm_home,
            runner="local",
            cancel=cancel,
            plugins=[deaf],
            on_event=on_event,
        )
        deaf.release.set()

        assert 130 == result.exit_code
        assert {"stuck": "cancelled"} == {step.key: step.status.value for step in result.steps}
