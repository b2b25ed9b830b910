"""
The runtime borsh codec: strict, and byte-identical to borsh-construct.

Each type's schema (``_schema``) is compiled once into closures over precompiled
``struct.Struct`` objects. borsh-construct stays the oracle the tests compare against
(``_oracle``); this codec exists because the host encodes an ``ExecutorInput`` and decodes
a ``StepResult`` for every native step, and borsh-construct costs about 100 µs a direction.

Decoding is as strict as the Rust ``borsh`` crate: a bool byte other than 0/1, an option
tag other than 0/1, an enum index out of range, map keys unsorted or duplicated, invalid
UTF-8, a NaN float, an invalid ``char``, truncation and trailing bytes all raise
:class:`~harmont.DecodeError` with the byte offset. A length prefix is checked against the
bytes that remain before anything is read or allocated, so a claimed 4 GiB fails at once.
"""

from __future__ import annotations

import datetime
import functools
import math
import struct
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar, overload

from harmont._errors import DecodeError
from harmont.protocol._scalars import I64_WIDTH, from_millis, is_semver, to_millis
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
    type_name,
    union_of,
)

__all__ = ["from_borsh", "to_borsh"]

T = TypeVar("T")

#: Appends one value's bytes to the buffer.
Encoder = Callable[[Any, bytearray], None]
#: Reads one value at an offset; returns it and the offset after it.
Decoder = Callable[[bytes, int], tuple[Any, int]]

_U8: Final = struct.Struct("<B")
_U32: Final = struct.Struct("<I")
_I64: Final = struct.Struct("<q")
_F64: Final = struct.Struct("<d")


class _Malformed(Exception):
    """Bad input, raised deep in a decoder; struct decoders add the field path on the way out."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.path: list[str] = []


class _Unencodable(Exception):
    """A value with no wire form; struct encoders add the field path on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def to_borsh(obj: object) -> bytes:
    """
    Encode a protocol object as borsh.

    A variant class (``StepLog``, ``CacheHit``...) encodes as its union, variant index
    first: variants exist on the wire only inside their enum.

    :raises ValueError: when a field holds a value the wire type cannot carry (an ``i32``
        out of range, a naive timestamp, a string with lone surrogates...).
    """
    target = union_of(type(obj)) or type(obj)
    out = bytearray()
    try:
        _codec(target)[0](obj, out)
    except _Unencodable as exc:
        where = "".join(reversed(exc.path))
        raise ValueError(
            f"cannot encode {type_name(target)}{where} as borsh: {exc.message}"
        ) from None
    return bytes(out)


@overload
def from_borsh(tp: type[T], data: bytes) -> T: ...
@overload
def from_borsh(tp: object, data: bytes) -> Any: ...
def from_borsh(tp: object, data: bytes) -> Any:
    """
    Decode borsh bytes into ``tp``: a protocol class or a union alias such as ``BuildEvent``.

    A variant class decodes through its union and must be the variant found.

    :raises harmont.DecodeError: on any malformed input, with ``offset`` set to the byte
        where decoding failed.
    """
    buf = bytes(data)
    try:
        union = union_of(tp)
        obj, end = _codec(tp if union is None else union)[1](buf, 0)
        if union is not None and type(obj) is not tp:
            raise _Malformed(f"expected variant {type_name(tp)}, got {type(obj).__name__}", 0)
        if end != len(buf):
            extra = len(buf) - end
            raise _Malformed(f"{extra} trailing byte{'s' * (extra != 1)} after the value", end)
    except _Malformed as exc:
        where = "".join(reversed(exc.path))
        raise DecodeError(
            f"invalid borsh {type_name(tp)}{where} at byte {exc.offset}: {exc.message}",
            offset=exc.offset,
        ) from None
    return obj


@functools.cache
def _codec(tp: object) -> tuple[Encoder, Decoder]:
    return _Compiler().compile(schema_of(tp))


def _need(buf: bytes, pos: int, size: int, what: str) -> None:
    if pos + size > len(buf):
        raise _Malformed(f"expected {size} bytes of {what}, got {len(buf) - pos}", pos)


def _length(buf: bytes, pos: int, unit: int, what: str) -> tuple[int, int]:
    """Read a u32 length prefix and check, before allocating, that the buffer can hold it."""
    _need(buf, pos, 4, f"{what} length")
    (count,) = _U32.unpack_from(buf, pos)
    remaining = len(buf) - pos - 4
    if count * unit > remaining:
        raise _Malformed(
            f"{what} length {count} needs at least {count * unit} bytes, {remaining} remain", pos
        )
    return count, pos + 4


def _encode_str(value: str, out: bytearray) -> None:
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _Unencodable(f"string is not valid Unicode ({exc.reason})") from None
    except AttributeError:
        raise _Unencodable(f"expected a string, got {value!r}") from None
    out += _U32.pack(len(raw))
    out += raw


def _decode_str(buf: bytes, pos: int) -> tuple[str, int]:
    size, pos = _length(buf, pos, 1, "string")
    end = pos + size
    try:
        return buf[pos:end].decode("utf-8"), end
    except UnicodeDecodeError as exc:
        raise _Malformed(f"invalid UTF-8 in string ({exc.reason})", pos + exc.start) from None


def _encode_bool(value: bool, out: bytearray) -> None:
    if value is True:
        out.append(1)
    elif value is False:
        out.append(0)
    else:
        raise _Unencodable(f"expected a bool, got {value!r}")


def _decode_bool(buf: bytes, pos: int) -> tuple[bool, int]:
    _need(buf, pos, 1, "bool")
    byte = buf[pos]
    if byte > 1:
        raise _Malformed(f"bool byte must be 0 or 1, got {byte}", pos)
    return byte == 1, pos + 1


def _encode_f64(value: float, out: bytearray) -> None:
    if not isinstance(value, float) or math.isnan(value):
        raise _Unencodable(f"expected a non-NaN float, got {value!r}")
    out += _F64.pack(value)


def _decode_f64(buf: bytes, pos: int) -> tuple[float, int]:
    _need(buf, pos, 8, "f64")
    (value,) = _F64.unpack_from(buf, pos)
    if math.isnan(value):
        raise _Malformed("f64 is NaN, which borsh forbids", pos)
    return value, pos + 8


def _encode_uuid(value: uuid.UUID, out: bytearray) -> None:
    try:
        out += value.bytes
    except AttributeError:
        raise _Unencodable(f"expected a uuid.UUID, got {value!r}") from None


def _decode_uuid(buf: bytes, pos: int) -> tuple[uuid.UUID, int]:
    _need(buf, pos, 16, "UUID")
    return uuid.UUID(bytes=buf[pos : pos + 16]), pos + 16


def _encode_timestamp(value: datetime.datetime, out: bytearray) -> None:
    if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
        raise _Unencodable(f"expected a timezone-aware datetime, got {value!r}")
    out += _I64.pack(to_millis(value))


def _decode_timestamp(buf: bytes, pos: int) -> tuple[datetime.datetime, int]:
    _need(buf, pos, 8, "timestamp")
    (millis,) = _I64.unpack_from(buf, pos)
    try:
        return from_millis(millis), pos + 8
    except OverflowError:
        raise _Malformed(f"timestamp {millis} ms is outside years 1-9999", pos) from None


class _Compiler:
    """Turns schema nodes into encoder/decoder closures; one instance per top-level type."""

    def __init__(self) -> None:
        self._structs: dict[int, tuple[Encoder, Decoder]] = {}

    def compile(self, node: Node) -> tuple[Encoder, Decoder]:  # noqa: PLR0911, PLR0912 (a branch per node kind)
        if node is STR:
            return _encode_str, _decode_str
        if node is BOOL:
            return _encode_bool, _decode_bool
        if node is UUID:
            return _encode_uuid, _decode_uuid
        if node is TIMESTAMP:
            return _encode_timestamp, _decode_timestamp
        if node is FLOAT:
            return _encode_f64, _decode_f64
        if node is VALUE:
            return _value_codec()
        if isinstance(node, Int):
            return _int_codec(node)
        if isinstance(node, Text):
            return _char_codec() if node.kind.name == "char" else _semver_codec()
        if isinstance(node, OptionNode):
            return _option_codec(*self.compile(node.inner))
        if isinstance(node, SeqNode):
            return _seq_codec(*self.compile(node.inner), _min_size(node.inner))
        if isinstance(node, MapNode):
            return _map_codec(*self.compile(node.inner))
        if isinstance(node, EnumNode):
            return _enum_codec(node)
        if isinstance(node, Struct):
            return self._struct(node)
        if isinstance(node, UnionNode):
            return self._union(node)
        raise TypeError(f"no borsh codec for {node!r}")

    def _struct(self, node: Struct) -> tuple[Encoder, Decoder]:
        known = self._structs.get(id(node))
        if known is not None:
            return known
        # Recursive types (SubcommandSpec) reach this node again while its fields compile:
        # they get trampolines that look the finished closures up on first call.
        fields: list[tuple[str, Encoder, Decoder]] = []
        cls = node.cls

        def encode(obj: Any, out: bytearray) -> None:
            if type(obj) is not cls:
                raise _Unencodable(f"expected {cls.__name__}, got {type(obj).__name__}")
            for name, enc, _ in fields:
                try:
                    enc(getattr(obj, name), out)
                except _Unencodable as exc:
                    exc.path.append(f".{name}")
                    raise
                except (struct.error, TypeError, OverflowError) as exc:
                    raise _Unencodable(str(exc)) from None

        def decode(buf: bytes, pos: int) -> tuple[Any, int]:
            values = {}
            for name, _, dec in fields:
                try:
                    values[name], pos = dec(buf, pos)
                except _Malformed as exc:
                    exc.path.append(f".{name}")
                    raise
            return cls(**values), pos

        self._structs[id(node)] = (encode, decode)
        fields.extend((name, *self.compile(field)) for name, field in node.fields)
        return encode, decode

    def _union(self, node: UnionNode) -> tuple[Encoder, Decoder]:
        variants = [(variant.cls, *self._struct(variant)) for variant in node.variants]
        by_class = {cls: (bytes([index]), enc) for index, (cls, enc, _) in enumerate(variants)}
        decoders = [dec for _, _, dec in variants]
        names = " | ".join(cls.__name__ for cls, _, _ in variants)

        def encode(obj: Any, out: bytearray) -> None:
            try:
                tag, enc = by_class[type(obj)]
            except KeyError:
                raise _Unencodable(f"expected one of {names}, got {obj!r}") from None
            out += tag
            enc(obj, out)

        def decode(buf: bytes, pos: int) -> tuple[Any, int]:
            _need(buf, pos, 1, "variant index")
            index = buf[pos]
            if index >= len(decoders):
                raise _Malformed(
                    f"variant index must be below {len(decoders)} ({names}), got {index}", pos
                )
            return decoders[index](buf, pos + 1)

        return encode, decode


def _int_codec(node: Int) -> tuple[Encoder, Decoder]:
    width = node.width
    packer = struct.Struct(width.fmt)
    pack, unpack_from, size = packer.pack, packer.unpack_from, packer.size

    def encode(value: int, out: bytearray) -> None:
        if type(value) is not int or not width.lo <= value <= width.hi:
            raise _Unencodable(f"expected {width.name} ({width.lo}..{width.hi}), got {value!r}")
        out += pack(value)

    def decode(buf: bytes, pos: int) -> tuple[int, int]:
        if pos + size > len(buf):
            raise _Malformed(f"expected {size} bytes of {width.name}, got {len(buf) - pos}", pos)
        return unpack_from(buf, pos)[0], pos + size

    return encode, decode


def _char_codec() -> tuple[Encoder, Decoder]:
    def encode(value: str, out: bytearray) -> None:
        if not isinstance(value, str) or len(value) != 1 or 0xD800 <= ord(value) <= 0xDFFF:
            raise _Unencodable(f"expected one Unicode scalar value, got {value!r}")
        out += _U32.pack(ord(value))

    def decode(buf: bytes, pos: int) -> tuple[str, int]:
        _need(buf, pos, 4, "char")
        (code,) = _U32.unpack_from(buf, pos)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _Malformed(f"char must be a Unicode scalar value, got U+{code:04X}", pos)
        return chr(code), pos + 4

    return encode, decode


def _semver_codec() -> tuple[Encoder, Decoder]:
    def encode(value: str, out: bytearray) -> None:
        if not isinstance(value, str) or not is_semver(value):
            raise _Unencodable(f"expected a semantic version, got {value!r}")
        _encode_str(value, out)

    def decode(buf: bytes, pos: int) -> tuple[str, int]:
        value, end = _decode_str(buf, pos)
        if not is_semver(value):
            raise _Malformed(f"expected a semantic version, got {value!r}", pos)
        return value, end

    return encode, decode


def _option_codec(enc: Encoder, dec: Decoder) -> tuple[Encoder, Decoder]:
    def encode(value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            enc(value, out)

    def decode(buf: bytes, pos: int) -> tuple[Any, int]:
        _need(buf, pos, 1, "option tag")
        tag = buf[pos]
        if tag == 0:
            return None, pos + 1
        if tag == 1:
            return dec(buf, pos + 1)
        raise _Malformed(f"option tag must be 0 or 1, got {tag}", pos)

    return encode, decode


def _seq_codec(enc: Encoder, dec: Decoder, unit: int) -> tuple[Encoder, Decoder]:
    def encode(value: Any, out: bytearray) -> None:
        if not isinstance(value, (tuple, list)):
            raise _Unencodable(f"expected a tuple, got {value!r}")
        out += _U32.pack(len(value))
        for index, item in enumerate(value):
            try:
                enc(item, out)
            except _Unencodable as exc:
                exc.path.append(f"[{index}]")
                raise

    def decode(buf: bytes, pos: int) -> tuple[tuple[Any, ...], int]:
        count, pos = _length(buf, pos, unit, "sequence")
        items = []
        for index in range(count):
            try:
                item, pos = dec(buf, pos)
            except _Malformed as exc:
                exc.path.append(f"[{index}]")
                raise
            items.append(item)
        return tuple(items), pos

    return encode, decode


def _map_codec(enc: Encoder, dec: Decoder) -> tuple[Encoder, Decoder]:
    def encode(value: Any, out: bytearray) -> None:
        if not isinstance(value, dict):
            raise _Unencodable(f"expected a dict, got {value!r}")
        out += _U32.pack(len(value))
        for key in sorted(value):
            try:
                _encode_str(key, out)
                enc(value[key], out)
            except _Unencodable as exc:
                exc.path.append(f"[{key!r}]")
                raise
            except TypeError:
                raise _Unencodable(f"map keys must be strings, got {key!r}") from None

    def decode(buf: bytes, pos: int) -> tuple[dict[str, Any], int]:
        # Each entry holds at least a 4-byte key length and a 1-byte value.
        count, pos = _length(buf, pos, 5, "map")
        result: dict[str, Any] = {}
        previous: str | None = None
        for _ in range(count):
            key_at = pos
            key, pos = _decode_str(buf, pos)
            if previous is not None and key <= previous:
                raise _Malformed(
                    f"map keys must be sorted and unique, got {key!r} after {previous!r}",
                    key_at,
                )
            try:
                result[key], pos = dec(buf, pos)
            except _Malformed as exc:
                exc.path.append(f"[{key!r}]")
                raise
            previous = key
        return result, pos

    return encode, decode


def _enum_codec(node: EnumNode) -> tuple[Encoder, Decoder]:
    members = list(node.cls)
    index_of = {member: bytes([index]) for index, member in enumerate(members)}
    name = node.cls.__name__

    def encode(value: Any, out: bytearray) -> None:
        try:
            out += index_of[value]
        except (KeyError, TypeError):
            raise _Unencodable(f"expected a {name}, got {value!r}") from None

    def decode(buf: bytes, pos: int) -> tuple[Any, int]:
        _need(buf, pos, 1, name)
        index = buf[pos]
        if index >= len(members):
            raise _Malformed(f"{name} index must be below {len(members)}, got {index}", pos)
        return members[index], pos + 1

    return encode, decode


def _min_size(node: Node) -> int:
    """The fewest bytes a value of ``node`` can take, to bound a sequence's claimed count."""
    if isinstance(node, Int):
        return struct.calcsize(node.width.fmt)
    if isinstance(node, Struct):
        return sum(_min_size(field) for _, field in node.fields)
    sizes = {STR: 4, UUID: 16, TIMESTAMP: 8, FLOAT: 8}
    if node in sizes:
        return sizes[node]
    if isinstance(node, Text):
        return 4
    if isinstance(node, (SeqNode, MapNode)):
        return 4
    # bool, Value, Option, and every enum: at least their one tag byte.
    return 1


def _encode_value(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0)
    elif value is True or value is False:
        out += b"\x01\x01" if value else b"\x01\x00"
    elif isinstance(value, int):
        if not I64_WIDTH.lo <= value <= I64_WIDTH.hi:
            raise _Unencodable(f"Value integers must fit i64, got {value}")
        out.append(2)
        out += _I64.pack(value)
    elif isinstance(value, float):
        out.append(3)
        _encode_f64(value, out)
    elif isinstance(value, str):
        out.append(4)
        _encode_str(value, out)
    elif isinstance(value, list):
        out.append(5)
        out += _U32.pack(len(value))
        for index, item in enumerate(value):
            try:
                _encode_value(item, out)
            except _Unencodable as exc:
                exc.path.append(f"[{index}]")
                raise
    elif isinstance(value, dict):
        out.append(6)
        _encode_object(value, out)
    else:
        raise _Unencodable(f"expected a JSON-like Value, got {type(value).__name__} {value!r}")


def _decode_value(buf: bytes, pos: int) -> tuple[Any, int]:  # noqa: PLR0911 (a return per variant)
    _need(buf, pos, 1, "Value variant index")
    index = buf[pos]
    pos += 1
    if index == 0:
        return None, pos
    if index == 1:
        return _decode_bool(buf, pos)
    if index == 2:
        _need(buf, pos, 8, "i64")
        return _I64.unpack_from(buf, pos)[0], pos + 8
    if index == 3:
        return _decode_f64(buf, pos)
    if index == 4:
        return _decode_str(buf, pos)
    if index == 5:
        count, pos = _length(buf, pos, 1, "array")
        items = []
        for item_index in range(count):
            try:
                item, pos = _decode_value(buf, pos)
            except _Malformed as exc:
                exc.path.append(f"[{item_index}]")
                raise
            items.append(item)
        return items, pos
    if index == 6:
        return _decode_object(buf, pos)
    raise _Malformed(f"Value variant index must be below 7, got {index}", pos - 1)


_encode_object, _decode_object = _map_codec(_encode_value, _decode_value)


def _value_codec() -> tuple[Encoder, Decoder]:
    return _encode_value, _decode_value
