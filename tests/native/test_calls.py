"""Calling native plugins through the registry: results, errors, garbage, threads."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest

from harmont import PluginRuntimeError
from harmont._plugins._manager import Registry
from harmont._plugins._native import load_native
from harmont.protocol import (
    ExecutorInput,
    ExitInfo,
    HookEvent,
    HookPhase,
    KvScope,
    StepResult,
    StepStart,
    SubcommandInput,
    from_borsh,
)
from tests.native.support import executor_input

if TYPE_CHECKING:
    from harmont._plugins._host import Host
    from tests.native_support import Built


def _registry(native: Built, host: Host, *crates: str) -> Registry:
    registry = Registry(host=host)
    for crate in crates:
        registry.register(load_native(native.path(crate)))
    return registry


def _subcommand(verb: str) -> SubcommandInput:
    return SubcommandInput(verb_path=(verb,), args={}, env={})


class TestDispatch:
    def test_noop_executor_exits_0_without_a_snapshot(self, native: Built, host: Host) -> None:
        """The noop runner returns exit 0 and no snapshot, and saw exactly the input sent."""
        registry = _registry(native, host, "noop-executor")
        sent = executor_input("compile", label="Compile", env={"A": "1"})
        context = host.context("harmont-fixture-noop", run_id=sent.run_id, step_id=sent.step_id)

        result = registry.execute_step("noop", context, sent)
        seen = context.kv_get(KvScope.PLUGIN, "seen:compile")

        assert StepResult(exit_code=0, committed_snapshot=None, artifacts=()) == result
        assert seen is not None
        assert sent == from_borsh(ExecutorInput, seen)

    def test_failing_subcommand_returns_exit_7_and_its_message(
        self, native: Built, host: Host
    ) -> None:
        """fixture-fail's ExitInfo comes back as it was sent."""
        registry = _registry(native, host, "failing-subcommand")

        info = registry.run_subcommand(
            "fixture-fail", host.context("harmont-fixture-failing"), _subcommand("fixture-fail")
        )

        assert ExitInfo(exit_code=7, message="intentional failure for tests") == info

    def test_an_error_payload_becomes_a_runtime_error_with_its_code(
        self, native: Built, host: Host
    ) -> None:
        """A PluginError result is raised with the plugin's code, message and doc URL."""
        registry = _registry(native, host, "failing-subcommand")

        with pytest.raises(PluginRuntimeError) as info:
            registry.run_subcommand(
                "fixture-error", host.context("x"), _subcommand("fixture-error")
            )

        assert (
            "plugin 'harmont-fixture-failing' failed during 'run_subcommand': "
            "the fixture reports an error",
            "fixture_error",
            "harmont-fixture-failing",
            "see https://example.invalid/fixture-error",
        ) == (str(info.value), info.value.code, info.value.plugin, info.value.hint)

    def test_a_panic_becomes_a_runtime_error_not_a_crash(self, native: Built, host: Host) -> None:
        """The SDK macro catches a panic and reports it with the code panic."""
        registry = _registry(native, host, "failing-subcommand")

        with pytest.raises(PluginRuntimeError) as info:
            registry.run_subcommand(
                "fixture-panic", host.context("x"), _subcommand("fixture-panic")
            )

        assert ("panic", "the fixture panics on purpose") == (
            info.value.code,
            str(info.value).rsplit(": ", 1)[-1],
        )

    def test_an_absent_capability_is_not_implemented(self, native: Built, host: Host) -> None:
        """Calling a capability the plugin does not provide gives the code not_implemented."""
        plugin = load_native(native.path("noop-executor"))
        event = HookEvent(
            event=StepStart(step_id=executor_input().step_id, runner="noop", image=None),
            phase=HookPhase.AFTER,
        )

        with pytest.raises(PluginRuntimeError) as info:
            plugin.hm_on_hook_event(context=host.context("x"), hook_event=event)

        assert ("not_implemented", "this plugin does not implement this capability") == (
            info.value.code,
            str(info.value),
        )


class TestGarbage:
    """Malformed answers are errors naming the plugin; the host carries on."""

    def test_an_ok_payload_that_does_not_decode(self, native: Built, host: Host) -> None:
        """Bytes that are no StepResult are a bad_payload error naming the plugin."""
        registry = _registry(native, host, "garbage_payloads")

        with pytest.raises(PluginRuntimeError) as info:
            registry.execute_step("garbage", host.context("x"), executor_input())

        assert ("bad_payload", "harmont-fixture-garbage") == (info.value.code, info.value.plugin)
        assert str(info.value).startswith(
            "plugin 'harmont-fixture-garbage' failed during 'execute_step': "
            "its StepResult result does not decode: "
        )

    def test_an_unknown_status(self, native: Built, host: Host) -> None:
        """A status other than 0 or 1 is reported with its value."""
        plugin = load_native(native.path("garbage_payloads"))
        event = HookEvent(
            event=StepStart(step_id=executor_input().step_id, runner="x", image=None),
            phase=HookPhase.BEFORE,
        )

        with pytest.raises(PluginRuntimeError) as info:
            plugin.hm_on_hook_event(context=host.context("x"), hook_event=event)

        assert "returned status 42, expected 0 (ok) or 1 (error)" == str(info.value)

    def test_an_error_payload_that_does_not_decode(self, native: Built, host: Host) -> None:
        """An undecodable error payload is still reported, with its raw text."""
        registry = _registry(native, host, "garbage_payloads")

        with pytest.raises(PluginRuntimeError) as info:
            registry.run_subcommand(
                "fixture-garbage", host.context("x"), _subcommand("fixture-garbage")
            )

        assert "bad_payload" == info.value.code
        assert str(info.value).endswith("raw text: 'not borsh'")


class TestThreads:
    def test_concurrent_calls_from_python_threads(self, native: Built, host: Host) -> None:
        """Eight threads calling one plugin at once each get their own step's result."""
        registry = _registry(native, host, "noop-executor")
        inputs = [executor_input(f"step-{i}") for i in range(64)]
        results: dict[str, StepResult] = {}

        def call(chunk: list[ExecutorInput]) -> None:
            for sent in chunk:
                context = host.context("harmont-fixture-noop", step_id=sent.step_id)
                results[sent.step.key] = registry.execute_step("noop", context, sent)

        threads = [threading.Thread(target=call, args=(inputs[i::8],)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        context = host.context("harmont-fixture-noop")

        assert {f"step-{i}" for i in range(64)} == set(results)
        assert all(
            from_borsh(ExecutorInput, context.kv_get(KvScope.PLUGIN, f"seen:{s.step.key}") or b"")
            == s
            for s in inputs
        )

    def test_a_native_call_releases_the_gil(self, native: Built, host: Host) -> None:
        """Python keeps running while a native call sleeps 300 ms in another thread."""
        registry = _registry(native, host, "host-fn-probe")
        done = threading.Event()

        def sleep_natively() -> None:
            registry.run_subcommand(
                "fixture-sleep", host.context("x"), _subcommand("fixture-sleep")
            )
            done.set()

        thread = threading.Thread(target=sleep_natively)
        started = last = time.monotonic()
        thread.start()
        longest_stall = 0.0
        while not done.is_set():
            now = time.monotonic()
            longest_stall, last = max(longest_stall, now - last), now
        thread.join()

        assert time.monotonic() - started >= 0.3
        assert longest_stall < 0.1
