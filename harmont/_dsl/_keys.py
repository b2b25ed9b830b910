"""
Step keys: the names steps are referred to by in the IR (``builds_in``, logs, caches).

Keys must be stable across renders so cache keys and UI history line up, which is why they
come from what the author wrote rather than from object identity:

1. an explicit ``key=`` wins, even over another step's label;
2. else the slug of the label, when no other step's label slugs the same and no explicit
   key took it;
3. else the first 12 hex digits of ``sha256(parent_key NUL cmd NUL position)``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from harmont._dsl._step import Step

__all__ = ["assign_keys", "hash_key", "slugify"]

_EMOJI_CODE = re.compile(r":[a-z0-9_+-]+:")
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def slugify(label: str) -> str:
    """
    Return the ASCII slug of ``label``: lower case, ``:emoji:`` codes dropped, every run of
    other characters (non-ASCII letters too) turned into one ``-``, no ``-`` at either end.

    The result may be empty (``"构建"``); such a label falls back to a hash key.
    """
    lowered = label.lower()
    return _NOT_ALPHANUMERIC.sub("-", _EMOJI_CODE.sub(" ", lowered)).strip("-")


def hash_key(parent_key: str, cmd: str, position: int) -> str:
    """Return the fallback key of the step at ``position`` of the emitted steps."""
    digest = hashlib.sha256(f"{parent_key}\x00{cmd}\x00{position}".encode())
    return digest.hexdigest()[:12]


def assign_keys(steps: Sequence[Step]) -> dict[int, str]:
    """
    Return the key of each of ``steps`` (command steps, parents first), by ``id()``.

    Identity, not equality: two branches may build equal steps that still need two keys.

    A label slug shared by two steps goes to neither, even when one of them has an explicit
    key. A hash key uses the direct parent's key only when that parent is a command step
    (a step after ``fork()`` hashes with an empty parent key), as harmont 0.0.9 does.
    """
    explicit = {id(step): step.key_override for step in steps if step.key_override is not None}
    slugs = {id(step): slugify(step.label) for step in steps if step.label is not None}
    slugs = {identity: slug for identity, slug in slugs.items() if slug}
    claims = Counter(slugs.values())
    taken = set(explicit.values())

    keys: dict[int, str] = {}
    for position, step in enumerate(steps):
        identity = id(step)
        if identity in explicit:
            keys[identity] = explicit[identity]
            continue
        slug = slugs.get(identity)
        if slug is not None and slug not in taken and claims[slug] == 1:
            keys[identity] = slug
            taken.add(slug)
            continue
        parent_key = "" if step.parent is None else keys.get(id(step.parent), "")
        keys[identity] = hash_key(parent_key, step.cmd or "", position)
    return keys
