"""Isolation: a native plugin in a worker process costs a call when it crashes or hangs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont import PluginConflict, PluginLoadError, PluginRuntimeError
from harmont._plugins._manager import Registry, load_registry
from harmont._plugins._native import load_native
from harmont.protocol import HookEvent, HookPhase, StepResult, StepStart
from tests.native.support import executor_input
from tests.plugins.conftest import PLUGIN_SOURCE, write_dist

if TYPE_CHECKING:
    from harmont._plugins._host import Host
    from tests.native_support import Built


def _workers() -> set[int]:
    """Pids of this process's native-plugin workers, zombies included (they are leaks too)."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(parent) == os.getpid() and b"harmont._plugins._native_worker" in cmdline:
            found.add(int(proc.name))
    return found


def _isolated(tmp_path: Path, plugins: Path) -> Registry:
    """A registry of the native libraries in *plugins*, every one in a worker process."""
    return load_registry(
        autoload=False,
        extra_paths=[plugins],
        env={"HOME": str(tmp_path), "HM_NATIVE_ISOLATION": "process"},
        project_root=tmp_path,
    )


class TestCrash:
    def test_a_segfault_fails_the_call_naming_the_plugin(self, native: Built, host: Host) -> None:
        """SIGSEGV in execute_step is a crashed PluginRuntimeError; other plugins still answer."""
        registry = Registry(host=host)
        crash = load_native(native.path("crashing-executor"), isolation="process")
        registry.register(crash)
        registry.register(load_native(native.path("noop-executor"), isolation="process"))

        with pytest.raises(PluginRuntimeError) as info:
            registry.execute_step("crash", host.context("x"), executor_input())
        after = registry.execute_step("noop", host.context("y"), executor_input())

        assert (
            "plugin 'harmont-fixture-crash' failed during 'execute_step': "
            "its worker process died of SIGSEGV",
            "crashed",
        ) == (str(info.value), info.value.code)
        assert StepResult(exit_code=0) == after
        crash.close()

    def test_the_next_call_gets_a_fresh_worker(self, native: Built, host: Host) -> None:
        """After a crash the plugin is still callable: each call crashes alone."""
        crash = load_native(native.path("crashing-executor"), isolation="process")
        codes = []
        for _ in range(2):
            with pytest.raises(PluginRuntimeError) as info:
                crash.hm_execute_step(context=host.context("x"), executor_input=executor_input())
            codes.append(info.value.code)
        crash.close()

        assert ["crashed", "crashed"] == codes

    def test_load_errors_cross_the_pipe(self, native: Built, host: Host) -> None:
        """An isolated plugin with the wrong api_version gives the in-process message."""
        path = native.path("bad_api_version")

        with pytest.raises(PluginLoadError) as info:
            load_native(path, isolation="process")

        assert (
            f"native plugin {path}: api_version mismatch (plugin: 9999, host: 2) (isolated)"
            == str(info.value)
        )


class TestHang:
    def test_a_hook_past_its_timeout_is_killed(self, native: Built, host: Host) -> None:
        """A before-hook that never returns fails at its 300 ms limit and its worker dies."""
        registry = Registry(host=host)
        hang = load_native(native.path("hanging-hook"), isolation="process")
        registry.register(hang)
        event = HookEvent(
            event=StepStart(step_id=executor_input().step_id, runner="local", image=None),
            phase=HookPhase.BEFORE,
        )
        started = time.monotonic()

        with pytest.raises(PluginRuntimeError) as info:
            registry.dispatch_hook(event, host.context)
        elapsed = time.monotonic() - started
        worker = hang._backend._worker  # type: ignore[attr-defined]
        worker.process.wait(timeout=5)

        assert ("timeout", "harmont-fixture-hang") == (info.value.code, info.value.plugin)
        assert 0.3 <= elapsed < 3
        assert worker.process.returncode is not None
        hang.close()


class TestWorkerLifetime:
    """A registry stops the workers of the plugins it loaded, so an embedder leaks none."""

    def test_closing_each_of_many_registries_stops_its_workers(
        self, native: Built, tmp_path: Path
    ) -> None:
        """Five registries of two isolated plugins each run two workers, and none after close."""
        plugins = tmp_path / "plugins"
        for crate in ("noop-executor", "recording-hook"):
            native.install(crate, plugins)
        before = _workers()
        running = []
        for _ in range(5):
            with _isolated(tmp_path, plugins):
                running.append(len(_workers() - before))

        assert [2] * 5 == running
        assert set() == _workers() - before

    def test_close_twice_and_use_after_close(self, native: Built, tmp_path: Path) -> None:
        """A second close is harmless; a call after close starts a worker the next close stops."""
        plugins = tmp_path / "plugins"
        native.install("noop-executor", plugins)
        before = _workers()
        registry = _isolated(tmp_path, plugins)
        registry.close()
        registry.close()
        result = registry.execute_step("noop", registry.host.context("x"), executor_input())
        revived = len(_workers() - before)
        registry.close()

        assert (StepResult(exit_code=0), 1) == (result, revived)
        assert set() == _workers() - before

    def test_a_plugin_the_registry_refuses_is_stopped_at_once(
        self, native: Built, tmp_path: Path
    ) -> None:
        """A second copy of a loaded plugin is refused and its worker stopped while loading."""
        native.install("noop-executor", tmp_path / "a")
        native.install("noop-executor", tmp_path / "b", name="noop-copy")
        before = _workers()

        with load_registry(
            autoload=False,
            extra_paths=[tmp_path / "a", tmp_path / "b"],
            env={"HOME": str(tmp_path), "HM_NATIVE_ISOLATION": "process"},
            project_root=tmp_path,
        ):
            running = len(_workers() - before)

        assert 1 == running

    def test_a_conflict_stops_the_workers_loaded_before_it(
        self, native: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When a native plugin conflicts, load_registry raises and leaves no worker running."""
        site = tmp_path / "site"
        site.mkdir()
        monkeypatch.syspath_prepend(str(site))
        source = PLUGIN_SOURCE.format(name="python-noop", runner="noop", verb="pynoop")
        write_dist(site, "python-noop", source)
        plugins = tmp_path / "plugins"
        native.install("recording-hook", plugins, "a-hook")
        native.install("noop-executor", plugins, "b-noop")
        before = _workers()

        with pytest.raises(PluginConflict) as info:
            load_registry(
                extra_paths=[plugins],
                env={"HOME": str(tmp_path), "HM_NATIVE_ISOLATION": "process"},
                project_root=tmp_path,
            )

        assert "claim 'runner:noop'" in str(info.value)
        assert set() == _workers() - before

    def test_a_manifest_the_host_refuses_leaves_no_worker(
        self, native: Built, tmp_path: Path
    ) -> None:
        """A library whose manifest call fails is refused without leaving its worker behind."""
        path = native.path("bad_manifest_status")
        before = _workers()

        with pytest.raises(PluginLoadError) as info:
            load_native(path, isolation="process")

        assert (
            f"native plugin {path}: manifest returned status 42, expected 0 (ok) or 1 (error)"
            == str(info.value)
        )
        assert set() == _workers() - before

    def test_run_stops_the_workers_of_isolated_plugins(
        self, native: Built, hm_home: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """harmont.run() with an isolated native hook leaves no worker once it returns."""
        plugins = hm_home / "plugins"
        native.install("recording-hook", plugins)
        monkeypatch.setenv("HM_PLUGIN_PATH", str(plugins))
        monkeypatch.setenv("HM_NATIVE_ISOLATION", "process")
        monkeypatch.delenv("HM_NO_PLUGIN_AUTOLOAD")
        before = _workers()

        result = harmont.run(
            {"version": "0", "steps": [{"type": "command", "key": "one", "cmd": "true"}]},
            directory=hm_home,
            runner="local",
        )

        assert 0 == result.exit_code
        assert set() == _workers() - before
