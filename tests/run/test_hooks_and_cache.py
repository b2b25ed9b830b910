"""`hm run` end to end: lifecycle hooks of an installed plugin, and the step cache."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont.protocol import StepCacheHit
from tests.run.rig import TIMEOUT_SECONDS, command, hm_environment

if TYPE_CHECKING:
    from tests.run.rig import Project

_RECORDER = '''
"""Records every hook call as "<phase> <kind>"; aborts where HM_ABORT_AT says."""
import os

from harmont import hookimpl
from harmont.protocol import (
    API_VERSION, HookAbort, HookContinue, HookEventKind, HookPhase, LifecycleHookSpec,
    PluginManifest,
)


@hookimpl
def hm_plugin_manifest():
    kinds = tuple(HookEventKind)
    return PluginManifest(
        api_version=API_VERSION,
        name="recorder",
        version="0.1.0",
        description="records hook calls",
        capabilities=(
            LifecycleHookSpec(events=kinds, phase=HookPhase.BEFORE, timeout_ms=5000),
            LifecycleHookSpec(events=kinds, phase=HookPhase.AFTER, timeout_ms=5000),
        ),
    )


@hookimpl
def hm_on_hook_event(context, hook_event):
    with open(os.environ["HM_RECORD"], "a") as record:
        record.write(f"{hook_event.phase.value} {hook_event.event.KIND}\\n")
    if hook_event.phase is HookPhase.BEFORE and hook_event.event.KIND == os.environ.get(
        "HM_ABORT_AT"
    ):
        return HookAbort(reason="stopped by the recorder")
    return HookContinue()
'''


def _install_recorder(project: Project, tmp_path: Path, *, abort_at: str = "") -> Path:
    """Install the recorder plugin through a real entry point on PYTHONPATH."""
    site = tmp_path / "site"
    info = site / "hm_recorder-0.1.0.dist-info"
    info.mkdir(parents=True)
    (site / "hm_recorder.py").write_text(_RECORDER)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hm-recorder\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[harmont.plugins]\nrecorder = hm_recorder\n")
    record = tmp_path / "record.txt"
    project.env["PYTHONPATH"] = str(site)
    project.env["HM_RECORD"] = str(record)
    project.env["HM_ABORT_AT"] = abort_at
    return record


class TestHooks:
    def test_hooks_fire_in_order_with_their_phases(self, project: Project, tmp_path: Path) -> None:
        """Each event reaches before then after hooks, in build order; build_end is after-only."""
        record = _install_recorder(project, tmp_path)
        project.pipeline(command("hello", "echo hi"))

        build = project.hm()

        assert 0 == build.returncode, build.stderr
        expected = [
            f"{phase} {kind}"
            for kind in ("build_start", "step_queued", "step_start", "step_log", "step_end")
            for phase in ("before", "after")
        ] + ["after build_end"]
        assert expected == record.read_text().splitlines()

    @pytest.mark.parametrize("kind", ["build_start", "step_start"])
    def test_before_hook_abort_fails_the_build(
        self, project: Project, tmp_path: Path, kind: str
    ) -> None:
        """An abort in a before hook stops the build with its reason; the step never runs."""
        record = _install_recorder(project, tmp_path, abort_at=kind)
        project.pipeline(command("hello", "echo hi"))

        build = project.hm()

        assert 1 == build.returncode
        assert "a hook aborted the build: stopped by the recorder" in build.stderr
        assert [] == build.logs("hello")
        assert "after build_end" == record.read_text().splitlines()[-1]


class TestCache:
    def test_second_run_hits_the_cache(self, project: Project) -> None:
        """A cached step runs once; the next run reuses its snapshot and its child sees it."""
        # A fresh key: the docker runner's cache is the engine's image store, which
        # outlives the test's private home.
        key = uuid.uuid4().hex * 2
        project.pipeline(
            command(
                "build",
                "echo built > artifact.txt; echo building",
                cache={"policy": "forever", "key": key},
            ),
            command("use", "cat artifact.txt", builds_in="build"),
        )

        first = project.hm()
        second = project.hm()

        assert (0, 0) == (first.returncode, second.returncode), second.stderr
        assert ([], ["building"]) == (first.of(StepCacheHit), first.logs("build"))
        [hit] = second.of(StepCacheHit)
        assert f"harmont-local/build:{key[:16]}" == hit.tag
        assert key == hit.key
        assert ([], ["built"]) == (second.logs("build"), second.logs("use"))

    def test_uncached_steps_run_every_time(self, project: Project) -> None:
        """Without a cache policy a step runs again on every build."""
        project.pipeline(command("always", "echo ran"))

        runs = [project.hm().logs("always") for _ in range(2)]

        assert [["ran"], ["ran"]] == runs


@pytest.mark.parametrize(
    ("slug", "code", "says"),
    [("hello", 0, "build passed"), ("hello-broken", 1, "this step fails on purpose")],
)
def test_example_pipelines(tmp_path: Path, slug: str, code: int, says: str) -> None:
    """The README's example: `hello` is green on the local runner, `hello-broken` exits 1."""
    example = Path(__file__).parents[2] / "examples" / "pipelines" / "hello"
    argv = [sys.executable, "-m", "harmont_cli", "run", slug, "-d", str(example)]

    done = subprocess.run(
        [*argv, "--runner", "local"],
        env=hm_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert code == done.returncode, done.stderr
    assert says in done.stderr
