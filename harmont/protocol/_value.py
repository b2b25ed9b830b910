"""
``Value``: the dynamic JSON-like value that crosses the plugin boundary (docs/protocol.md).

It is plain Python data, not a wrapper class, so plugin code reads ``runner_args["region"]``
directly. On the borsh wire it is an enum (Null, Bool, Int, Float, Str, Array, Object);
in JSON it is untagged and round-trips with ordinary JSON.

Two consequences of modelling it as plain data: ``bool`` is told apart from ``int`` by
type (``True`` is Bool, never Int 1), and a ``Value | None`` field cannot tell ``None``
from ``Some(Null)``; both decode to ``None``.
"""

from __future__ import annotations

from typing import Annotated, Final, TypeAlias, Union

__all__ = ["OPTIONAL", "OptionalValue", "Value"]

# Union[...] rather than `|`: the alias is recursive, and its inner references must stay
# strings at runtime (`None | "Value"` would raise).
Value: TypeAlias = Union[  # noqa: UP007 (see above)
    bool, int, float, str, list["Value"], dict[str, "Value"], None
]


class _OptionalMarker:
    """Marks a field as ``Option<Value>``; see :data:`OptionalValue`."""

    def __repr__(self) -> str:
        return "OPTIONAL"


OPTIONAL: Final = _OptionalMarker()

#: ``Option<Value>`` on the wire (a 0/1 tag byte, then the Value). Spelled out because at
#: runtime ``Value | None`` is ``Value`` itself, and the codecs must still tell the two apart.
OptionalValue: TypeAlias = Annotated[Value, OPTIONAL]
