"""Cache keys: every render input and every watched thing changes the key."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

import harmont as hm
from harmont._dsl._cachekey import RenderInputs, resolve_cache_keys

if TYPE_CHECKING:
    from pathlib import Path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _cache_keys(leaves: list[hm.Step], tmp_path: Path, **overrides: Any) -> list[str | None]:
    inputs: dict[str, Any] = {
        "org": "acme",
        "slug": "ci",
        "now": 1_000_000,
        "base_path": tmp_path,
        "env": {"ARCH": "x86_64"},
    }
    graph = hm.pipeline(leaves)["graph"]
    resolve_cache_keys(graph, RenderInputs(**{**inputs, **overrides}))
    return [node["step"].get("cache", {}).get("key") for node in graph["nodes"]]


class TestKeyFormula:
    def test_forever_root(self, tmp_path: Path) -> None:
        """A root's key is sha256(org NUL slug NUL key NUL "scratch" NUL forever-resolution)."""
        step = hm.sh("make", key="k", cache=hm.forever(env_keys=("ARCH", "UNSET")))
        resolution = "forever-" + _sha("make\x00ARCH=x86_64\x00UNSET=\x00")

        assert [_sha(f"acme\x00ci\x00k\x00scratch\x00{resolution}")] == _cache_keys(
            [step], tmp_path
        )

    def test_child_folds_in_parent_key(self, tmp_path: Path) -> None:
        """A cached child's key uses its parent's key where a root uses "scratch"."""
        parent = hm.sh("make", key="p", cache=hm.forever())
        child = parent.sh("make check", key="c", cache=hm.forever())
        parent_key, child_key = _cache_keys([child], tmp_path)
        resolution = "forever-" + _sha("make check\x00")

        assert _sha(f"acme\x00ci\x00c\x00{parent_key}\x00{resolution}") == child_key

    def test_ttl_windows_align_on_the_epoch(self, tmp_path: Path) -> None:
        """Two clocks in one window share a key; the next window changes it."""
        step = [hm.sh("make", cache=hm.ttl(timedelta(hours=1)))]

        assert [True, False] == [
            _cache_keys(step, tmp_path, now=3600) == _cache_keys(step, tmp_path, now=7199),
            _cache_keys(step, tmp_path, now=7199) == _cache_keys(step, tmp_path, now=7200),
        ]


class TestInputs:
    @pytest.mark.parametrize(
        "override",
        [{"org": "other"}, {"slug": "other"}, {"env": {"ARCH": "arm64"}}],
        ids=["org", "slug", "env"],
    )
    def test_each_input_changes_the_key(self, tmp_path: Path, override: dict[str, Any]) -> None:
        """Changing the org, the slug or a watched variable changes the key."""
        step = [hm.sh("make", cache=hm.forever(env_keys=("ARCH",)))]

        assert _cache_keys(step, tmp_path) != _cache_keys(step, tmp_path, **override)

    def test_unwatched_variable_does_not(self, tmp_path: Path) -> None:
        """A variable outside env_keys leaves the key alone."""
        step = [hm.sh("make", cache=hm.forever(env_keys=("ARCH",)))]

        assert _cache_keys(step, tmp_path) == _cache_keys(
            step, tmp_path, env={"ARCH": "x86_64", "OTHER": "1"}
        )


class TestOnChange:
    def test_file_content_changes_the_key(self, tmp_path: Path) -> None:
        """Editing a watched file changes the key."""
        step = [hm.sh("make", cache=hm.on_change("lock"))]
        (tmp_path / "lock").write_text("1")
        before = _cache_keys(step, tmp_path)
        (tmp_path / "lock").write_text("2")

        assert before != _cache_keys(step, tmp_path)

    def test_directory_hashes_relative_paths_in_part_order(self, tmp_path: Path) -> None:
        """A directory hashes each file as relpath NUL bytes NUL, sorted by path parts."""
        (tmp_path / "src" / "a").mkdir(parents=True)
        (tmp_path / "src" / "a" / "b").write_text("B")
        (tmp_path / "src" / "a-c").write_text("C")
        directory = _sha_bytes(b"a/b\x00B\x00a-c\x00C\x00")
        resolution = "sha-" + _sha(directory + "\x00")

        assert [_sha(f"acme\x00ci\x00k\x00scratch\x00{resolution}")] == _cache_keys(
            [hm.sh("make", key="k", cache=hm.on_change("src"))], tmp_path
        )

    def test_missing_path_contributes_nothing(self, tmp_path: Path) -> None:
        """A path that does not exist is skipped, as in harmont 0.0.9, so it can appear later."""
        missing = [hm.sh("make", key="k", cache=hm.on_change("absent"))]
        nothing = [hm.sh("make", key="k", cache=hm.on_change())]

        assert _cache_keys(nothing, tmp_path) == _cache_keys(missing, tmp_path)

    def test_special_file_is_an_error(self, tmp_path: Path) -> None:
        """A watched path that is neither a file nor a directory raises FileNotFoundError."""
        os.mkfifo(tmp_path / "fifo")

        with pytest.raises(FileNotFoundError, match="neither a file nor a directory"):
            _cache_keys([hm.sh("make", cache=hm.on_change("fifo"))], tmp_path)


class TestParents:
    def test_uncached_parent_is_an_error(self, tmp_path: Path) -> None:
        """A cached step whose parent has no key raises ValueError naming both."""
        child = hm.sh("make", key="p").sh("make check", key="c", cache=hm.forever())

        with pytest.raises(ValueError, match="step 'c' is cached but builds in 'p'"):
            _cache_keys([child], tmp_path)


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
