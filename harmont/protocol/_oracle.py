"""
borsh-construct schemas for every protocol type: the oracle the runtime codec is proven against.

Built from the same schema nodes as ``_borsh``, so the two cannot drift apart silently:
the tests and ``bench/protocol.py`` check that both produce the same bytes. Not imported
by the runtime; borsh-construct is lenient where the Rust crate is strict (it accepts an
option tag of 2, unsorted map keys...), which is why it is not the runtime codec.

Two quirks of borsh-construct 0.1.0 are handled here: its ``Enum`` flattens nested enum
values with ``attr.asdict`` (so an enum inside an enum variant cannot be built; ``_Enum``
encodes without recursing), and constructing an ``Enum`` triggers a DeprecationWarning
from sumtypes, silenced only around schema construction.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Final

import attr
import borsh_construct as bc
import construct

from harmont.protocol._scalars import from_millis, to_millis
from harmont.protocol._schema import (
    BOOL,
    FLOAT,
    STR,
    TIMESTAMP,
    UUID,
    VALUE,
    EnumNode,
    Int,
    MapNode,
    Node,
    OptionNode,
    SeqNode,
    Struct,
    Text,
    UnionNode,
    schema_of,
    union_of,
)

__all__ = ["oracle_codec", "oracle_decode", "oracle_encode", "oracle_schema"]

_INTS: Final = {"u32": bc.U32, "u64": bc.U64, "usize": bc.U64, "i32": bc.I32, "i64": bc.I64}

#: (construct, Python value -> construct data, construct data -> Python value)
_Compiled = tuple[Any, Callable[[Any], Any], Callable[[Any], Any]]


class _Enum(bc.Enum):  # type: ignore[misc,unused-ignore]
    """borsh-construct's Enum, building variants without flattening nested enum values."""

    def _encode(self, obj: Any, context: Any, path: Any) -> dict[str, Any]:
        fields = attr.asdict(obj, recurse=False)
        value = fields.get("tuple_data", fields) if fields else None
        return {"index": obj.index, "value": value}


def oracle_encode(obj: object) -> bytes:
    """Encode ``obj`` with borsh-construct (a variant class encodes as its union)."""
    tp = union_of(type(obj)) or type(obj)
    schema, to_data, _ = _compiled(tp)
    return bytes(schema.build(to_data(obj)))


def oracle_decode(tp: object, data: bytes) -> Any:
    """Decode ``data`` as ``tp`` with borsh-construct, leniently, as it does."""
    schema, _, from_data = _compiled(union_of(tp) or tp)
    return from_data(schema.parse(data))


def oracle_schema(tp: object) -> Any:
    """The borsh-construct schema of a protocol class or union alias."""
    return _compiled(tp)[0]


def oracle_codec(
    tp: object, *, compiled: bool = False
) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """
    ``(encode, decode)`` for ``tp`` through borsh-construct, for the benchmark.

    :param compiled: use construct's ``.compile()``d schema (code-generated parsing).
    """
    schema, to_data, from_data = _compiled(union_of(tp) or tp)
    if compiled:
        with _quiet_sumtypes():
            schema = schema.compile()
    build, parse = schema.build, schema.parse
    return (lambda value: bytes(build(to_data(value)))), (lambda data: from_data(parse(data)))


@functools.cache
def _compiled(tp: object) -> _Compiled:
    with _quiet_sumtypes():
        return _Builder().build(schema_of(tp))


@contextlib.contextmanager
def _quiet_sumtypes() -> Iterator[None]:
    with warnings.catch_warnings():
        # sumtypes (under borsh-construct's Enum) passes attrs a deprecated argument.
        warnings.filterwarnings(
            "ignore", message="The `repr_ns` argument is deprecated", category=DeprecationWarning
        )
        yield


def _identity(value: Any) -> Any:
    return value


class _Builder:
    def __init__(self) -> None:
        self._structs: dict[int, _Compiled] = {}

    def build(self, node: Node) -> _Compiled:  # noqa: PLR0911 (one return per kind of node)
        simple = _simple(node)
        if simple is not None:
            return simple
        if node is VALUE:
            return _value()
        if isinstance(node, OptionNode):
            sub, to_data, from_data = self.build(node.inner)
            return (
                bc.Option(sub),
                lambda v: None if v is None else to_data(v),
                lambda d: None if d is None else from_data(d),
            )
        if isinstance(node, SeqNode):
            sub, to_data, from_data = self.build(node.inner)
            return (
                bc.Vec(sub),
                lambda v: [to_data(item) for item in v],
                lambda d: tuple(from_data(item) for item in d),
            )
        if isinstance(node, MapNode):
            sub, to_data, from_data = self.build(node.inner)
            return (
                bc.HashMap(bc.String, sub),
                lambda v: {key: to_data(item) for key, item in v.items()},
                lambda d: {key: from_data(item) for key, item in d.items()},
            )
        if isinstance(node, EnumNode):
            return _fieldless_enum(node)
        if isinstance(node, Struct):
            return self._struct(node)
        if isinstance(node, UnionNode):
            return self._union(node)
        raise TypeError(f"no oracle schema for {node!r}")

    def _struct(self, node: Struct) -> _Compiled:
        known = self._structs.get(id(node))
        if known is not None:
            return known
        parts: list[tuple[str, _Compiled]] = []
        cell: list[Any] = []
        # A recursive class (SubcommandSpec) refers to its own schema through LazyBound.
        lazy = construct.LazyBound(lambda: cell[0])
        self._structs[id(node)] = (
            lazy,
            lambda v: self._struct_to_data(parts, v),
            lambda d: node.cls(**{name: c[2](d[name]) for name, c in parts}),
        )
        parts.extend((name, self.build(field)) for name, field in node.fields)
        cell.append(bc.CStruct(*(name / c[0] for name, c in parts)))
        compiled = self._structs[id(node)]
        self._structs[id(node)] = (cell[0], compiled[1], compiled[2])
        return self._structs[id(node)]

    @staticmethod
    def _struct_to_data(parts: list[tuple[str, _Compiled]], value: Any) -> dict[str, Any]:
        return {name: c[1](getattr(value, name)) for name, c in parts}

    def _union(self, node: UnionNode) -> _Compiled:
        variants = [(variant, self._struct(variant)) for variant in node.variants]
        schema = _Enum(
            *((v.cls.KIND / c[0]) if v.fields else v.cls.KIND for v, c in variants),
            enum_name=node.variants[0].cls.__name__ + "Union",
        )
        by_class = {v.cls: (v, c) for v, c in variants}

        def to_data(value: Any) -> Any:
            variant, (_, struct_data, _) = by_class[type(value)]
            make = getattr(schema.enum, variant.cls.KIND)
            return make(**struct_data(value))

        def from_data(data: Any) -> Any:
            variant, (_, _, struct_value) = variants[data.index]
            return struct_value({name: getattr(data, name) for name, _ in variant.fields})

        return schema, to_data, from_data


def _simple(node: Node) -> _Compiled | None:
    if isinstance(node, Int):
        return _INTS[node.width.name], _identity, _identity
    if isinstance(node, Text):
        if node.kind.name == "char":
            return bc.U32, ord, chr
        return bc.String, _identity, _identity
    simple: dict[Node, _Compiled] = {
        BOOL: (bc.Bool, _identity, _identity),
        FLOAT: (bc.F64, _identity, _identity),
        STR: (bc.String, _identity, _identity),
        UUID: (construct.Bytes(16), lambda v: v.bytes, lambda d: uuid.UUID(bytes=bytes(d))),
        TIMESTAMP: (
            bc.I64,
            to_millis,
            from_millis,
        ),
    }
    return simple.get(node)


def _fieldless_enum(node: EnumNode) -> _Compiled:
    members = list(node.cls)
    schema = _Enum(*(member.value for member in members), enum_name=node.cls.__name__)
    return (
        schema,
        lambda v: getattr(schema.enum, v.value)(),
        lambda d: members[d.index],
    )


@functools.cache
def _value() -> _Compiled:
    value_schema: list[Any] = []
    lazy = construct.LazyBound(lambda: value_schema[0])
    schema = _Enum(
        "Null",
        "Bool" / bc.TupleStruct(bc.Bool),
        "Int" / bc.TupleStruct(bc.I64),
        "Float" / bc.TupleStruct(bc.F64),
        "Str" / bc.TupleStruct(bc.String),
        "Array" / bc.TupleStruct(bc.Vec(lazy)),
        "Object" / bc.TupleStruct(bc.HashMap(bc.String, lazy)),
        enum_name="Value",
    )
    value_schema.append(schema)
    variants = schema.enum

    def to_data(value: Any) -> Any:  # noqa: PLR0911 (one return per Value variant)
        if value is None:
            return variants.Null()
        if isinstance(value, bool):
            return variants.Bool((value,))
        if isinstance(value, int):
            return variants.Int((value,))
        if isinstance(value, float):
            return variants.Float((value,))
        if isinstance(value, str):
            return variants.Str((value,))
        if isinstance(value, list):
            return variants.Array(([to_data(item) for item in value],))
        return variants.Object(({key: to_data(item) for key, item in value.items()},))

    def from_data(data: Any) -> Any:
        if data.index == 0:
            return None
        (inner,) = data.tuple_data
        if data.index == 5:
            return [from_data(item) for item in inner]
        if data.index == 6:
            return {key: from_data(item) for key, item in inner.items()}
        return inner

    return schema, to_data, from_data
