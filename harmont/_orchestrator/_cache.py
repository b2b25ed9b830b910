"""
The host's cache verdict for each step, and the snapshot tags it names.

Per the executor contract (docs/native-abi.md), a tag is
``<repository>/<sanitised step key>:<version>``, all lower case, so the same string is a
valid Docker image reference and a safe relative path for the local runner:

- a step with a cache policy and a resolved key is tagged ``harmont-local/<key>:<first 16
  chars of the cache key>``; it is a hit when the runner's owner says that snapshot exists,
  otherwise it is built under that tag;
- an uncached step whose state other chains start from (a fork parent) is built under the
  ephemeral tag ``harmont-ephemeral/<key>:run-<step id as 32 hex>``, released at build end;
- any other step commits nothing: its state lives on only in its chain's environment.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from harmont.protocol import CacheDecision, CacheHit, CacheMissBuildAs, CacheMissNoCommit

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable

    from harmont.protocol import CommandStep

__all__ = [
    "CACHE_REPOSITORY",
    "EPHEMERAL_REPOSITORY",
    "cache_tag",
    "decide",
    "ephemeral_tag",
    "sanitise",
]

#: Repository of tags that outlive the run: the persistent step cache.
CACHE_REPOSITORY: Final = "harmont-local"
#: Repository of tags that live for one run: fork parents that are not cached.
EPHEMERAL_REPOSITORY: Final = "harmont-ephemeral"

_UNSAFE: Final = re.compile(r"[^a-z0-9_-]")
#: Length of the cache-key prefix in a cache tag.
_KEY_PREFIX: Final = 16


def sanitise(step_key: str) -> str:
    """*step_key* lower-cased, every character outside ``[a-z0-9_-]`` replaced by ``-``."""
    return _UNSAFE.sub("-", step_key.lower())


def cache_tag(step: CommandStep) -> str | None:
    """The persistent tag of *step*, or None when the step is not cached."""
    cache = step.cache
    if cache is None or cache.policy == "none" or not cache.key:
        return None
    version = sanitise(cache.key[:_KEY_PREFIX])
    return f"{CACHE_REPOSITORY}/{sanitise(step.key)}:{version}"


def ephemeral_tag(step: CommandStep, step_id: uuid.UUID) -> str:
    """The one-run tag of *step*'s execution *step_id*."""
    return f"{EPHEMERAL_REPOSITORY}/{sanitise(step.key)}:run-{step_id.hex}"


def decide(
    step: CommandStep,
    step_id: uuid.UUID,
    *,
    forked: bool,
    snapshot_exists: Callable[[str], bool],
) -> CacheDecision:
    """
    The cache decision for one execution of *step*.

    :param forked: other chains start from this step's state.
    :param snapshot_exists: asks the owner of the step's runner whether a tag exists; only
        called for cached steps.
    """
    tag = cache_tag(step)
    if tag is not None:
        return CacheHit(tag=tag) if snapshot_exists(tag) else CacheMissBuildAs(tag=tag)
    if forked:
        return CacheMissBuildAs(tag=ephemeral_tag(step, step_id))
    return CacheMissNoCommit()
