"""The host's cache verdicts and the snapshot tags they name (the executor contract)."""

from __future__ import annotations

import uuid

import pytest

from harmont._orchestrator._cache import cache_tag, decide, ephemeral_tag, sanitise
from harmont.protocol import CacheHit, CacheMissBuildAs, CacheMissNoCommit, CacheSpec, CommandStep

_KEY = "ABCDEF0123456789" + "f" * 48
_ID = uuid.UUID(int=0xABC)


def _step(cache: CacheSpec | None = None, key: str = "Build App") -> CommandStep:
    return CommandStep(key=key, cmd="true", cache=cache)


class TestTags:
    def test_sanitise_lowercases_and_replaces_unsafe_characters(self) -> None:
        """Step keys become lower-case [a-z0-9_-]."""
        assert "build-app_2-x" == sanitise("Build App_2/x")

    def test_cache_tag_uses_the_first_16_chars_of_the_key(self) -> None:
        """A cached step's tag is harmont-local/<key>:<16 chars of the cache key>."""
        step = _step(CacheSpec(policy="forever", key=_KEY))

        assert "harmont-local/build-app:abcdef0123456789" == cache_tag(step)

    @pytest.mark.parametrize(
        "cache", [None, CacheSpec(policy="none", key=_KEY), CacheSpec(policy="ttl", key=None)]
    )
    def test_no_tag_without_a_policy_and_a_key(self, cache: CacheSpec | None) -> None:
        """No cache object, policy none, or no resolved key: no cache tag."""
        assert None is cache_tag(_step(cache))

    def test_ephemeral_tag_names_the_execution(self) -> None:
        """A fork parent's one-run tag carries the step id as 32 hex digits."""
        assert f"harmont-ephemeral/build-app:run-{_ID.hex}" == ephemeral_tag(_step(), _ID)


class TestDecide:
    def test_cached_step_hits_when_the_snapshot_exists(self) -> None:
        """A cached step whose snapshot exists is a hit on its tag."""
        step = _step(CacheSpec(policy="forever", key=_KEY))

        decision = decide(step, _ID, forked=False, snapshot_exists=lambda tag: True)

        assert CacheHit(tag="harmont-local/build-app:abcdef0123456789") == decision

    def test_cached_step_builds_its_tag_when_missing(self) -> None:
        """A cached step whose snapshot is missing runs and commits its tag."""
        step = _step(CacheSpec(policy="forever", key=_KEY))

        decision = decide(step, _ID, forked=True, snapshot_exists=lambda tag: False)

        assert CacheMissBuildAs(tag="harmont-local/build-app:abcdef0123456789") == decision

    def test_uncached_fork_parent_commits_an_ephemeral_snapshot(self) -> None:
        """An uncached step other chains start from commits under an ephemeral tag."""
        decision = decide(_step(), _ID, forked=True, snapshot_exists=lambda tag: True)

        assert CacheMissBuildAs(tag=ephemeral_tag(_step(), _ID)) == decision

    def test_other_steps_commit_nothing(self) -> None:
        """An uncached step nobody forks from commits nothing, and nobody is asked."""
        asked: list[str] = []

        def exists(tag: str) -> bool:
            asked.append(tag)
            return True

        decision = decide(_step(), _ID, forked=False, snapshot_exists=exists)

        assert (CacheMissNoCommit(), []) == (decision, asked)
