"""
The wire schema of every protocol type, read from its annotations.

Both borsh codecs (the runtime one in ``_borsh`` and the borsh-construct oracle in
``_oracle``) compile from these nodes, so a field's wire type is written exactly once: in
its annotation. :func:`schema_of` resolves a class, a union alias or a field type into a
node tree; recursive types (``SubcommandSpec``, ``Value``) become cycles through the
shared :class:`Struct` and :data:`VALUE` nodes.
"""

from __future__ import annotations

import datetime
import enum
import functools
import types
import typing
import uuid
from typing import Any, Final

import attrs

from harmont.protocol._events import BuildEvent
from harmont.protocol._execution import CacheDecision
from harmont.protocol._hooks import HookOutcome
from harmont.protocol._manifest import ArgSpec, Capability
from harmont.protocol._scalars import IntWidth, TextKind
from harmont.protocol._value import OPTIONAL, Value

__all__ = [
    "BOOL",
    "FLOAT",
    "STR",
    "TIMESTAMP",
    "UNIONS",
    "UUID",
    "VALUE",
    "EnumNode",
    "Int",
    "MapNode",
    "Node",
    "OptionNode",
    "SeqNode",
    "Struct",
    "Text",
    "UnionNode",
    "is_value_type",
    "resolve_class",
    "schema_of",
    "type_name",
    "union_of",
]

#: Every tagged enum of the protocol; a variant class belongs to exactly one of them.
UNIONS: Final = (BuildEvent, Capability, ArgSpec, CacheDecision, HookOutcome)
_UNION_OF: Final = {variant: union for union in UNIONS for variant in typing.get_args(union)}


def resolve_class(cls: type[Any]) -> None:
    """
    Turn a protocol class's string annotations into types, in place (idempotent).

    ``Value`` refers to itself by name; its inner references are resolved against the
    ``_value`` module, whichever module the class lives in.
    """
    attrs.resolve_types(cls, localns={"Value": Value})


def union_of(tp: object) -> object | None:
    """The union alias ``tp`` is a variant of, or ``None`` when it is not a variant class."""
    return _UNION_OF.get(tp)


@attrs.frozen
class Leaf:
    """A scalar with a fixed meaning: bool, f64, string, UUID, timestamp, Value."""

    name: str


BOOL: Final = Leaf("bool")
FLOAT: Final = Leaf("f64")
STR: Final = Leaf("string")
UUID: Final = Leaf("uuid")
TIMESTAMP: Final = Leaf("timestamp")
#: The dynamic :data:`~harmont.protocol.Value`; recursive through its Array and Object.
VALUE: Final = Leaf("Value")


@attrs.frozen
class Int:
    """A fixed-width integer."""

    width: IntWidth


@attrs.frozen
class Text:
    """A string with its own wire form or validation: ``char`` or semver."""

    kind: TextKind


@attrs.frozen
class OptionNode:
    """``Option<T>``: a 0/1 tag byte, then the value when the tag is 1."""

    inner: Node


@attrs.frozen
class SeqNode:
    """``Vec<T>``: a u32 count, then the items; a tuple in Python."""

    inner: Node


@attrs.frozen
class MapNode:
    """``BTreeMap<String, T>``: a u32 count, then (key, value) pairs sorted by key."""

    inner: Node


@attrs.frozen
class EnumNode:
    """A fieldless enum: one byte, the member's position in the class."""

    cls: type[enum.Enum]


@attrs.define(eq=False)
class Struct:
    """
    An attrs class: its fields in declaration order.

    Mutable only while :func:`schema_of` fills ``fields``, so a class may refer to itself.
    """

    cls: type[Any]
    fields: tuple[tuple[str, Node], ...] = ()


@attrs.frozen(eq=False)
class UnionNode:
    """A tagged enum of attrs classes: one byte, the variant's position in the alias."""

    alias: object
    variants: tuple[Struct, ...]


Node = Leaf | Int | Text | OptionNode | SeqNode | MapNode | EnumNode | Struct | UnionNode

_LEAVES: Final[dict[object, Leaf]] = {
    bool: BOOL,
    float: FLOAT,
    str: STR,
    uuid.UUID: UUID,
    datetime.datetime: TIMESTAMP,
}


def type_name(tp: object) -> str:
    """The name of a protocol type or union alias, for error messages."""
    if isinstance(tp, type):
        return tp.__name__
    from harmont import protocol

    for name in protocol.__all__:
        if getattr(protocol, name) is tp:
            return name
    return repr(tp)


@functools.cache
def schema_of(tp: object) -> Node:
    """
    The wire schema of ``tp``: a protocol class, a union alias, or a field annotation.

    :raises TypeError: when ``tp`` has no wire form (a programming error, not bad input).
    """
    return _Resolver().resolve(tp)


class _Resolver:
    def __init__(self) -> None:
        self._structs: dict[type[Any], Struct] = {}

    def resolve(self, tp: object) -> Node:  # noqa: PLR0911 (one return per kind of type)
        if tp is Value or is_value_type(tp):
            return VALUE
        leaf = _LEAVES.get(tp)
        if leaf is not None:
            return leaf
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            marker = tp.__metadata__[0]  # type: ignore[attr-defined]
            if isinstance(marker, IntWidth):
                return Int(marker)
            if isinstance(marker, TextKind):
                return Text(marker)
            if marker is OPTIONAL:
                return OptionNode(VALUE)
        elif origin is typing.Union or origin is types.UnionType:
            if len(args) == 2 and type(None) in args:
                (inner,) = (arg for arg in args if arg is not type(None))
                return OptionNode(self.resolve(inner))
            return UnionNode(tp, tuple(self._struct(arg) for arg in args))
        elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return SeqNode(self.resolve(args[0]))
        elif origin is dict and args[0] is str:
            return MapNode(self.resolve(args[1]))
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            return EnumNode(tp)
        elif isinstance(tp, type) and attrs.has(tp):
            return self._struct(tp)
        raise TypeError(f"{tp!r} has no wire form")

    def _struct(self, cls: type[Any]) -> Struct:
        known = _struct_cache.get(cls) or self._structs.get(cls)
        if known is not None:
            return known
        node = Struct(cls)
        self._structs[cls] = node
        resolve_class(cls)
        node.fields = tuple((field.name, self.resolve(field.type)) for field in attrs.fields(cls))
        _struct_cache[cls] = node
        return node


_struct_cache: dict[type[Any], Struct] = {}


def is_value_type(tp: object) -> bool:
    """Whether a resolved annotation is :data:`~harmont.protocol.Value` (or ``Value | None``)."""
    # Resolving an annotation re-evaluates Value's inner forward references, so the result
    # is not `== Value`; recognise the shape instead: the JSON scalars, a list and a dict.
    if typing.get_origin(tp) is not typing.Union:
        return False
    members = typing.get_args(tp)
    origins = {typing.get_origin(member) or member for member in members}
    return origins == {type(None), bool, int, float, str, list, dict}
