"""
Cache keys, computed when a pipeline is rendered.

A key must change whenever the step could produce a different snapshot, so it folds in the
org and pipeline slug, the step key, the parent's key (a cached step inherits its parent's
invalidations) and what the policy watches: the command and chosen variables, a clock
window, or file contents. Everything is SHA-256 over NUL-separated UTF-8, laid out exactly
as harmont 0.0.9 lays it out, so snapshots cached by either stay reachable by the other::

    key = sha256(org NUL slug NUL step_key NUL parent NUL resolution)

``parent`` is ``"scratch"`` for a chain root, else the parent's own key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

__all__ = ["RenderInputs", "resolve_cache_keys"]

_NUL = "\x00"
_GLOB_CHARACTERS = frozenset("*?[")


@attrs.frozen(kw_only=True)
class RenderInputs:
    """What a cache key depends on beyond the pipeline itself."""

    #: The organisation the pipeline belongs to.
    org: str
    #: The pipeline's slug.
    slug: str
    #: The render time, Unix seconds; ``ttl`` windows are counted from it.
    now: int
    #: The directory ``on_change`` paths are relative to (the repository root).
    base_path: Path
    #: The variables ``forever`` and ``ttl`` read their ``env_keys`` from.
    env: Mapping[str, str]


def resolve_cache_keys(graph: dict[str, Any], inputs: RenderInputs) -> None:
    """
    Write ``cache.key`` into every node of ``graph`` whose policy is not ``none``, in place.

    Nodes are visited in order, which puts parents first, so a parent's key is known when
    its children need it.

    :raises ValueError: when a cached step's parent is not cached itself (the parent's key
        is part of the child's), or for a policy name this version does not know.
    """
    nodes: list[dict[str, Any]] = graph.get("nodes", [])
    step_keys = [node["step"]["key"] for node in nodes]
    parent_of = {
        step_keys[child]: step_keys[parent]
        for parent, child, kind in graph.get("edges", [])
        if kind == "builds_in"
    }
    resolved: dict[str, str] = {}
    for node in nodes:
        step = node["step"]
        cache = step.get("cache")
        if not cache or cache["policy"] == "none":
            continue
        parent = parent_of.get(step["key"])
        if parent is None:
            parent_part = "scratch"
        elif parent in resolved:
            parent_part = resolved[parent]
        else:
            raise ValueError(
                f"step {step['key']!r} is cached but builds in {parent!r}, which is not: "
                "a cached step needs a cached parent"
            )
        resolution = _resolve_policy(cache, step.get("cmd", ""), inputs)
        key = _sha256(_NUL.join((inputs.org, inputs.slug, step["key"], parent_part, resolution)))
        cache["key"] = key
        resolved[step["key"]] = key


def _resolve_policy(policy: Mapping[str, Any], cmd: str, inputs: RenderInputs) -> str:
    """Return the part of the key that says what ``policy`` watches."""
    kind = policy["policy"]
    if kind == "none":
        return "none"
    if kind == "forever":
        return "forever-" + _sha256(cmd + _NUL + _env_subset(policy, inputs.env))
    if kind == "ttl":
        window = inputs.now // policy["duration_seconds"]
        return f"ttl-{window}-" + _sha256(cmd + _NUL + _env_subset(policy, inputs.env))
    if kind == "on_change":
        digests = "".join(_path_digest(path) + _NUL for path in _watched(policy, inputs.base_path))
        return "sha-" + _sha256(digests)
    if kind == "compose":
        return "compose-" + _sha256(
            "".join(_resolve_policy(sub, cmd, inputs) for sub in policy["sub_policies"])
        )
    raise ValueError(
        f"unknown cache policy {kind!r}: expected none, forever, ttl, on_change or compose"
    )


def _env_subset(policy: Mapping[str, Any], env: Mapping[str, str]) -> str:
    """``NAME=value NUL`` for each watched variable, by name; an unset one counts as empty."""
    return "".join(
        f"{name}={env.get(name, '')}{_NUL}" for name in sorted(policy.get("env_keys", []))
    )


def _watched(policy: Mapping[str, Any], base_path: Path) -> list[Path]:
    """
    The paths an ``on_change`` policy hashes, in a stable order.

    A glob contributes its sorted matches; a plain path that does not exist contributes
    nothing, as in harmont 0.0.9, so a file that appears later changes the key.
    """
    found: list[Path] = []
    for pattern in sorted(policy["paths"]):
        if _GLOB_CHARACTERS.intersection(pattern):
            found.extend(sorted(base_path.glob(pattern)))
        elif (base_path / pattern).exists():
            found.append(base_path / pattern)
    return found


def _path_digest(path: Path) -> str:
    """
    Hash a file's bytes, or a directory's files with their relative POSIX paths.

    Files of a directory are taken in sorted path order, each as ``path NUL bytes NUL``.

    :raises FileNotFoundError: for something that is neither (a FIFO, a socket).
    """
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(entry for entry in path.rglob("*") if entry.is_file()):
            digest.update(child.relative_to(path).as_posix().encode() + b"\x00")
            digest.update(child.read_bytes() + b"\x00")
        return digest.hexdigest()
    raise FileNotFoundError(f"on_change path {str(path)!r} is neither a file nor a directory")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
