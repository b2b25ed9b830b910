"""
The pull policy and pull progress as any runner sees them: through ``hm_check_runner``.

A third-party runner gets the build's policy and a progress callback; what it reports
reaches :func:`harmont.run`'s ``on_pull`` before the build starts, and nothing after.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont._renderers._pull import PullLog, byte_size, live_text
from harmont_sdk import StepExecutor, StepResult, executor, manifest
from tests.run.rig import run_bounded

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import BuildEvent, ExecutorInput

_PIPELINE = {
    "version": "0",
    "steps": [
        {"type": "command", "key": "a", "cmd": "x", "image": "img:1"},
        {"type": "command", "key": "b", "cmd": "x", "image": "img:1"},
    ],
}


class _Pulling(StepExecutor):
    """Runner ``pulling``: "pulls" each distinct image in its check, reporting as it goes."""

    manifest = manifest("pulling-plugin", "1.0.0", executor("pulling"))

    def __init__(self) -> None:
        self.policies: list[harmont.PullPolicy] = []
        self.report: Callable[[harmont.PullProgress], None] | None = None

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        return StepResult(exit_code=0)

    @harmont.hookimpl
    def hm_check_runner(
        self,
        runner: str,
        images: Mapping[str, str | None],
        pull: harmont.PullPolicy,
        on_pull: Callable[[harmont.PullProgress], None],
    ) -> None:
        if runner != "pulling":
            return
        self.policies.append(pull)
        self.report = on_pull
        if pull is harmont.PullPolicy.NEVER:
            raise harmont.ImageUnavailable("image 'img:1' is not stored", image="img:1")
        for image in sorted({image for image in images.values() if image is not None}):
            on_pull(harmont.PullProgress(image=image, layers=2, size=2000))
            on_pull(
                harmont.PullProgress(
                    image=image,
                    layers=2,
                    layers_done=2,
                    downloaded=2000,
                    size=2000,
                    finished=True,
                    updated=True,
                )
            )


def _build(root: Path, plugin: _Pulling, **options: object) -> harmont.BuildResult:
    return run_bounded(_PIPELINE, directory=root, runner="pulling", plugins=[plugin], **options)


class TestPullPolicyReachesRunners:
    def test_the_default_policy_is_missing(self, hm_home: Path) -> None:
        """A run that names no policy asks runners for ``missing``, as `docker run` does."""
        plugin = _Pulling()

        assert 0 == _build(hm_home, plugin).exit_code
        assert ["missing"] == plugin.policies

    def test_progress_reaches_on_pull_before_the_build_starts(self, hm_home: Path) -> None:
        """The runner's reports arrive in order, all before ``build_start``."""
        plugin = _Pulling()
        seen: list[object] = []

        def on_event(event: BuildEvent) -> None:
            seen.append(event.KIND)

        result = _build(hm_home, plugin, pull="always", on_pull=seen.append, on_event=on_event)

        assert (0, [harmont.PullPolicy.ALWAYS]) == (result.exit_code, plugin.policies)
        assert [False, True] == [
            p.finished for p in seen[:2] if isinstance(p, harmont.PullProgress)
        ]
        assert "build_start" == seen[2]

    def test_a_report_after_run_returned_is_refused(self, hm_home: Path) -> None:
        """A pull still reporting once the run is over is told to stop, not forwarded."""
        plugin = _Pulling()
        seen: list[harmont.PullProgress] = []
        _build(hm_home, plugin, on_pull=seen.append)
        assert plugin.report is not None

        with pytest.raises(harmont.Cancelled):
            plugin.report(harmont.PullProgress(image="img:1"))
        assert 2 == len(seen)

    def test_image_unavailable_from_a_runner_is_raised_unchanged(self, hm_home: Path) -> None:
        """A runner's ImageUnavailable is the user's input to fix: raised as is, not wrapped."""
        plugin = _Pulling()
        events: list[BuildEvent] = []

        with pytest.raises(harmont.ImageUnavailable, match=r"^image 'img:1' is not stored$"):
            _build(hm_home, plugin, pull="never", on_event=events.append)
        assert [] == events

    def test_an_unknown_policy_is_a_usage_error(self, hm_home: Path) -> None:
        """Only docker's three words are policies."""
        with pytest.raises(
            harmont.UsageError, match=r"^pull must be one of missing, always, never"
        ):
            _build(hm_home, _Pulling(), pull="sometimes")


class TestPullsInTheTrace:
    def test_a_pull_is_a_slice_on_a_track_of_its_own(self, hm_home: Path) -> None:
        """harmont.run(trace=...): the image pulled in the check is its own track."""
        trace = hm_home / "trace.json"

        _build(hm_home, _Pulling(), trace=trace)

        events = json.loads(trace.read_text())["traceEvents"]
        tracks = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
        [pull] = [e for e in events if e["ph"] == "X" and e["cat"] == "pull"]
        assert ("pull img:1", "pulled") == (tracks[pull["tid"]], pull["args"]["status"])
        [check] = [e for e in events if e["ph"] == "X" and e["name"].endswith("check_runner")]
        assert "pulling-plugin" == check["args"]["plugin"]
        assert check["ts"] <= pull["ts"]
        assert pull["ts"] + pull["dur"] <= check["ts"] + check["dur"]


class TestPullLines:
    def test_live_text_shows_layers_and_bytes(self) -> None:
        """A running pull reads as its image, layers stored of known, bytes of known."""
        progress = harmont.PullProgress(
            image="python:3.12-slim",
            layers=5,
            layers_done=2,
            downloaded=12_300_000,
            size=45_600_000,
        )

        assert "pulling python:3.12-slim · 2/5 layers · 12.3 MB / 45.6 MB" == live_text(progress)

    def test_a_pull_leaves_one_line(self) -> None:
        """Nothing while it runs; when it ends, one line with what it took."""
        log = PullLog()
        running = harmont.PullProgress(image="img:1", layers=1)
        done = harmont.PullProgress(
            image="img:1", layers=1, layers_done=1, downloaded=999, finished=True, updated=True
        )
        current = harmont.PullProgress(image="img:2", finished=True)

        lines = [log.line(running), log.line(done), log.line(current)]

        assert [None, "pulled img:1: 1 layer, 999 B in ", "pulled img:2: up to date in "] == [
            None if line is None else line[: line.index(" in ") + 4] for line in lines
        ]

    @pytest.mark.parametrize(
        ("count", "text"),
        [
            (0, "0 B"),
            (999, "999 B"),
            (1000, "1.0 kB"),
            (48_200_000, "48.2 MB"),
            (3 * 10**12, "3.0 TB"),
        ],
    )
    def test_byte_size(self, count: int, text: str) -> None:
        """Decimal units, as registries count."""
        assert text == byte_size(count)
