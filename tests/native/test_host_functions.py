"""The host functions as a native plugin sees them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from harmont._plugins._manager import Registry
from harmont._plugins._native import Isolation, load_native
from harmont.protocol import KvScope, SubcommandInput

if TYPE_CHECKING:
    from harmont._plugins._host import Host
    from tests.native_support import Built


@pytest.fixture(params=["in-process", "process"])
def isolation(request: pytest.FixtureRequest) -> Isolation:
    """Every host-function test runs in process and isolated: the pipe must be transparent."""
    chosen: Isolation = request.param
    return chosen


def _run(native: Built, host: Host, isolation: Isolation, verb: str) -> str | None:
    plugin = load_native(native.path("host-fn-probe"), isolation=isolation)
    try:
        registry = Registry(host=host)
        registry.register(plugin)
        info = registry.run_subcommand(
            verb,
            host.context("harmont-fixture-probe"),
            SubcommandInput(verb_path=(verb,), args={}, env={}),
        )
    finally:
        plugin.close()
    assert 0 == info.exit_code
    return info.message


class TestProbe:
    def test_every_probe_reports_true(
        self, native: Built, host: Host, isolation: Isolation
    ) -> None:
        """log, KV round trip, scope isolation, missing config, should_cancel: all true."""
        report = _run(native, host, isolation, "fixture-probe")

        assert {
            "log": True,
            "kv_round_trip": True,
            "scope_isolation": True,
            "fs_read_config_missing": True,
            "should_cancel_false": True,
        } == json.loads(report or "")

    def test_kv_from_16_native_threads(
        self, native: Built, host: Host, isolation: Isolation
    ) -> None:
        """16 plugin threads write 1 KiB each to plugin scope at once; all 16 are readable."""
        _run(native, host, isolation, "fixture-kv-threads")
        context = host.context("harmont-fixture-probe")

        assert [bytes([i]) * 1024 for i in range(16)] == [
            context.kv_get(KvScope.PLUGIN, f"thread:{i}") for i in range(16)
        ]

    def test_plugin_kv_persists_under_the_state_dir(
        self, native: Built, host: Host, isolation: Isolation
    ) -> None:
        """Plugin-scope keys written by a native plugin survive the host."""
        from harmont._plugins._host import Host as FreshHost

        _run(native, host, isolation, "fixture-probe")
        host.close()

        with FreshHost(project_root=host.project_root, state_dir=host.state_dir) as again:
            value = again.context("harmont-fixture-probe").kv_get(
                KvScope.PLUGIN, "probe:round-trip"
            )

        assert b"value" == value
