"""The local runner's executor through the plugin seam, without a build around it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harmont._errors import PluginRuntimeError
from harmont._executors import local
from harmont_sdk.testing import execute_step
from tests.native.support import executor_input

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import Registry


class TestLocalExecutor:
    def test_an_unpackable_source_is_a_plugin_error_naming_the_archive(
        self, hm_registry: Registry
    ) -> None:
        """A source archive that cannot be extracted fails the step with code unpack_failed."""
        # The host reads an id it never registered as empty: not a gzip archive.
        step = executor_input("build", runner="local")

        with pytest.raises(PluginRuntimeError) as caught:
            execute_step(hm_registry, step)

        assert ("local", "execute_step", "unpack_failed") == (
            caught.value.plugin,
            caught.value.capability,
            caught.value.code,
        )
        assert "bug" not in caught.value.message

    def test_snapshot_exists_only_for_a_stored_cache_snapshot(
        self, hm_home: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A cache tag is found once its directory is stored; ephemeral tags never are."""
        monkeypatch.setenv("XDG_CACHE_HOME", str(hm_home / ".cache"))
        stored = "harmont-local/build:abc"
        local.snapshot_store().joinpath("harmont-local", "build", "abc").mkdir(parents=True)

        found = {
            tag: local.hm_snapshot_exists(runner="local", tag=tag)
            for tag in (stored, "harmont-local/build:other", "harmont-ephemeral/build:abc")
        }

        assert {
            stored: True,
            "harmont-local/build:other": False,
            "harmont-ephemeral/build:abc": False,
        } == found

    def test_snapshot_exists_leaves_other_runners_alone(self, hm_home: Path) -> None:
        """The lookup answers None for a runner the local plugin does not own."""
        assert local.hm_snapshot_exists(runner="docker", tag="harmont-local/build:abc") is None
