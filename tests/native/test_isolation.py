"""Isolation: a native plugin in a worker process costs a call when it crashes or hangs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from harmont import PluginLoadError, PluginRuntimeError
from harmont._plugins._manager import Registry
from harmont._plugins._native import load_native
from harmont.protocol import HookEvent, HookPhase, StepResult, StepStart
from tests.native.support import executor_input

if TYPE_CHECKING:
    from harmont._plugins._host import Host
    from tests.native.conftest import Built


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
