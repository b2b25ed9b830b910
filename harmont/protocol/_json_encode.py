"""
The JSON encoder: protocol objects to exactly the serde shapes of docs/protocol.md.

Compiled once per class from the wire schema (:mod:`._schema`), as the borsh codec is, so
encoding needs no converter library: `hm run --format json` writes every event through it,
and its start-up pays only for these few functions. Decoding, which must check every
shape and name the JSON path of a fault, is :mod:`._json`'s.

Tagged enums carry their tag first (``{"kind": "step_log", ...}``), fields follow in
declaration order, UUIDs are hyphenated strings, timestamps RFC 3339 UTC with ``Z``,
maps are written in key order (``BTreeMap``), and ``Value`` is untagged.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from typing import TYPE_CHECKING, Any, Final, cast

from harmont.protocol._ir import OMIT_WHEN_NONE
from harmont.protocol._scalars import I64_WIDTH
from harmont.protocol._schema import (
    TIMESTAMP,
    UUID,
    VALUE,
    EnumNode,
    Int,
    MapNode,
    OptionNode,
    SeqNode,
    Struct,
    UnionNode,
    schema_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    from harmont.protocol._scalars import IntWidth
    from harmont.protocol._schema import Node

    _Encode = Callable[[Any], Any]

__all__ = ["TAG", "to_dict", "to_json"]

#: The field that names the variant of a tagged enum.
TAG: Final = "kind"


def to_json(obj: object) -> str:
    """
    Encode a protocol object as compact JSON, tag first, fields in declaration order.

    :raises ValueError: when a field holds a value JSON cannot carry (see :func:`to_dict`).
    """
    return json.dumps(to_dict(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def to_dict(obj: object) -> Any:
    """
    The JSON shape of a protocol object as plain data (dicts, lists, str, int...).

    :raises ValueError: for an integer outside its wire width or a ``Value`` holding
        something that is not JSON-like.
    :raises TypeError: when *obj* is no protocol object (a plain dict, list or number).
    """
    return _encoder_of(obj)(obj)


def _encoder_of(obj: object) -> _Encode:
    return _struct_encoder(cast("Hashable", type(obj)))


@functools.cache
def _struct_encoder(cls: Hashable) -> _Encode:
    """
    The encoder of protocol class *cls*, compiled whole before it is cached: a thread
    that finds it finds it complete (two threads on a first use may each compile one).
    """
    node = schema_of(cls)
    if not isinstance(node, Struct):
        raise TypeError(f"{getattr(cls, '__name__', cls)} is not a protocol class")
    return _Compiler().compile(node)


class _Compiler:
    """Compiles one class's encoder, and those of the classes its fields hold."""

    def __init__(self) -> None:
        #: The classes being compiled, so a class that contains itself (``SubcommandSpec``)
        #: reuses its own encoder, whose field list is complete once :meth:`compile` returns.
        self._structs: dict[type[Any], _Encode] = {}

    def compile(self, node: Node) -> _Encode:  # noqa: PLR0911 (one return per kind of node)
        if isinstance(node, Struct):
            return self._struct(node)
        if isinstance(node, UnionNode):
            return lambda obj: _encoder_of(obj)(obj)
        if isinstance(node, OptionNode):
            inner = self.compile(node.inner)
            return lambda value: None if value is None else inner(value)
        if isinstance(node, SeqNode):
            item = self.compile(node.inner)
            return lambda items: [item(value) for value in items]
        if isinstance(node, MapNode):
            entry = self.compile(node.inner)
            return lambda mapping: {key: entry(mapping[key]) for key in sorted(mapping)}
        if isinstance(node, EnumNode):
            return lambda member: member.value
        if isinstance(node, Int):
            return _checked_int(node.width)
        if node is UUID:
            return str
        if node is TIMESTAMP:
            return _format_timestamp
        if node is VALUE:
            return _value
        return _same  # bool, f64, strings: JSON carries them as they are

    def _struct(self, node: Struct) -> _Encode:
        cls = node.cls
        known = self._structs.get(cls)
        if known is not None:
            return known
        kind = getattr(cls, "KIND", None)
        omitted = OMIT_WHEN_NONE.get(cls, ())
        fields: list[tuple[str, _Encode, bool]] = []

        def encode(obj: Any) -> dict[str, Any]:
            data: dict[str, Any] = {} if kind is None else {TAG: kind}
            for name, encode_field, omit_none in fields:
                value = getattr(obj, name)
                if not (omit_none and value is None):
                    data[name] = encode_field(value)
            return data

        self._structs[cls] = encode
        fields.extend((name, self.compile(child), name in omitted) for name, child in node.fields)
        return encode


def _same(value: Any) -> Any:
    return value


def _checked_int(width: IntWidth) -> _Encode:
    def encode(value: Any) -> int:
        if type(value) is not int or not width.lo <= value <= width.hi:
            raise ValueError(f"expected {width.name} ({width.lo}..{width.hi}), got {value!r}")
        return value

    return encode


def _format_timestamp(value: datetime.datetime) -> str:
    """RFC 3339 in UTC with ``Z``, with 0, 3 or 6 fraction digits as chrono writes them."""
    if value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
    utc = value.astimezone(datetime.UTC)
    micros = utc.microsecond
    if micros == 0:
        fraction = ""
    elif micros % 1000 == 0:
        fraction = f".{micros // 1000:03d}"
    else:
        fraction = f".{micros:06d}"
    # Not strftime's %Y: it drops the leading zeros of years before 1000 on glibc.
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}{fraction}Z"
    )


def _value(value: Any) -> Any:
    """A Value to plain JSON data: objects sorted by key, non-finite floats as null."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not I64_WIDTH.lo <= value <= I64_WIDTH.hi:
            raise ValueError(f"Value integers must fit i64, got {value}")
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _value(value[key]) for key in sorted(value)}
    raise ValueError(f"expected a JSON-like Value, got {type(value).__name__} {value!r}")
