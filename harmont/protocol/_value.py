"""
``Value``: the dynamic JSON-like value that crosses the plugin boundary (SPEC.md §2.8).

It is plain Python data, not a wrapper class, so plugin code reads ``runner_args["region"]``
directly. On the borsh wire it is an enum (Null, Bool, Int, Float, Str, Array, Object);
in JSON it is untagged and round-trips with ordinary JSON.

Two consequences of modelling it as plain data: ``bool`` is told apart from ``int`` by
type (``True`` is Bool, never Int 1), and a ``Value | None`` field cannot tell ``None``
from ``Some(Null)``; both decode to ``None``.
"""

from __future__ import annotations

from typing import TypeAlias, Union

__all__ = ["Value"]

# Union[...] rather than `|`: the alias is recursive, and its inner references must stay
# strings at runtime (`None | "Value"` would raise).
Value: TypeAlias = Union[  # noqa: UP007
    bool, int, float, str, list["Value"], dict[str, "Value"], None
]
