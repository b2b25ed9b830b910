"""
The JSON decoder: exactly the serde shapes of docs/protocol.md, through one cattrs Converter.

Tagged enums carry their tag first (``{"kind": "step_log", ...}``), UUIDs are hyphenated
strings, timestamps RFC 3339 UTC with ``Z``, ``Value`` is untagged and round-trips with
ordinary JSON. Decoding is strict where serde is: a string is never coerced into a number
or back, ``ExecutorInput``, ``HookEvent`` and ``SubcommandInput`` reject unknown fields,
and every failure is one :class:`~harmont.DecodeError` naming the JSON path. Encoding is
:mod:`._json_encode`'s, which needs no cattrs.
"""

from __future__ import annotations

import datetime
import enum
import json
import re
import typing
import uuid
from typing import TYPE_CHECKING, Any, Final

import attrs
import cattrs
from cattrs.errors import BaseValidationError, IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception, transform_error

from harmont._errors import DecodeError
from harmont.protocol._execution import ExecutorInput
from harmont.protocol._hooks import HookEvent
from harmont.protocol._json_encode import TAG
from harmont.protocol._scalars import CHAR, I64_WIDTH, IntWidth, TextKind, is_semver
from harmont.protocol._schema import UNIONS, is_value_type, resolve_class, type_name, union_of
from harmont.protocol._subcommand import SubcommandInput

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["from_dict", "from_json"]

#: Classes whose JSON form rejects unknown fields (``#[serde(deny_unknown_fields)]``).
_CLOSED: Final = frozenset({ExecutorInput, HookEvent, SubcommandInput})
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


class _Invalid(ValueError):
    """A JSON value of the wrong shape; its message is shown to the user as is."""


def from_json(tp: Any, text: str | bytes) -> Any:
    """
    Decode JSON text into ``tp`` (a protocol class or a union alias such as ``BuildEvent``).

    :raises harmont.DecodeError: for invalid JSON or a document of the wrong shape; the
        message names the JSON path (``$.step.key``).
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        offset = exc.pos if isinstance(exc, json.JSONDecodeError) else None
        raise DecodeError(f"invalid JSON {type_name(tp)}: {exc}", offset=offset) from None
    return from_dict(tp, data)


def from_dict(tp: Any, data: Any) -> Any:
    """
    Decode plain JSON-shaped data into ``tp``, as strictly as :func:`from_json`.

    :raises harmont.DecodeError: when the data has the wrong shape; the message names the
        path (``$.step.key``).
    """
    try:
        return _converter().structure(data, _structure_target(tp))
    except (BaseValidationError, _Invalid, KeyError, TypeError, ValueError) as exc:
        errors = transform_error(exc, path="$", format_exception=_describe)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DecodeError(f"invalid JSON {type_name(tp)}: {errors[0]}{more}") from None


def _structure_target(tp: Any) -> Any:
    # A bare variant class decodes through its union, so its tag is checked too.
    union = union_of(tp)
    return tp if union is None else _VariantOf(tp, union)


@attrs.frozen
class _VariantOf:
    cls: type[Any]
    union: Any


def _marker(tp: Any) -> Any:
    """The wire marker of an ``Annotated`` scalar alias (``U32``, ``Char``...), if any."""
    metadata = getattr(tp, "__metadata__", None)
    return metadata[0] if metadata else None


def _describe(exc: BaseException, tp: type | None) -> str:
    if isinstance(exc, _Invalid):
        return str(exc)
    return format_exception(exc, tp)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_CONVERTER: cattrs.Converter | None = None


def _converter() -> cattrs.Converter:
    global _CONVERTER  # noqa: PLW0603 (built on first use, so importing the package stays cheap)
    if _CONVERTER is None:
        _CONVERTER = _build_converter()
    return _CONVERTER


def _build_converter() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=True)

    def strict(kind: type, what: str) -> Callable[[Any, Any], Any]:
        def structure(value: Any, _: Any) -> Any:
            if type(value) is not kind:
                raise _Invalid(f"expected {what}, got {_show(value)}")
            return value

        return structure

    conv.register_structure_hook(str, strict(str, "a string"))
    conv.register_structure_hook(bool, strict(bool, "a bool"))

    def annotated(tp: Any) -> Callable[[Any, Any], Any]:
        marker = _marker(tp)
        if isinstance(marker, IntWidth):
            return _int_hook(marker)
        if marker == CHAR:
            return _char_hook
        return _semver_hook

    conv.register_structure_hook_factory(
        lambda tp: isinstance(_marker(tp), IntWidth | TextKind), annotated
    )

    conv.register_structure_hook(uuid.UUID, _structure_uuid)
    conv.register_structure_hook(datetime.datetime, _structure_timestamp)
    conv.register_structure_hook_func(is_value_type, lambda value, _: _structure_value(value))
    conv.register_structure_hook_factory(
        lambda tp: isinstance(tp, type) and issubclass(tp, enum.Enum), _enum_hook
    )

    def is_tuple(tp: Any) -> bool:
        args = typing.get_args(tp)
        return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis

    def tuple_hook(tp: Any) -> Callable[[Any, Any], Any]:
        item_type = typing.get_args(tp)[0]
        item = conv.get_structure_hook(item_type)

        def structure(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise _Invalid(f"expected an array, got {_show(value)}")
            return tuple(_each(value, enumerate(value), item, item_type, tp))

        return structure

    def is_str_dict(tp: Any) -> bool:
        args = typing.get_args(tp)
        return typing.get_origin(tp) is dict and len(args) == 2 and args[0] is str

    def dict_hook(tp: Any) -> Callable[[Any, Any], Any]:
        value_type = typing.get_args(tp)[1]
        item = conv.get_structure_hook(value_type)

        def structure(value: Any, _: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise _Invalid(f"expected an object, got {_show(value)}")
            return dict(zip(value, _each(value, value.items(), item, value_type, tp), strict=True))

        return structure

    conv.register_structure_hook_factory(is_tuple, tuple_hook)
    conv.register_structure_hook_factory(is_str_dict, dict_hook)

    def class_structure(cls: type[Any]) -> Callable[[Any, Any], Any]:
        resolve_class(cls)
        inner = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=cls in _CLOSED)

        def structure(value: Any, tp: Any) -> Any:
            if type(value) is not dict:
                raise _Invalid(f"expected an object, got {_show(value)}")
            return inner(value, tp)

        return structure

    conv.register_structure_hook_factory(attrs.has, class_structure)

    for union in UNIONS:
        conv.register_structure_hook(union, _union_hook(conv, union))

    def variant_of(value: Any, target: _VariantOf) -> Any:
        obj = conv.structure(value, target.union)
        if type(obj) is not target.cls:
            raise _Invalid(f"expected {TAG} {target.cls.KIND!r}, got {obj.KIND!r}")
        return obj

    conv.register_structure_hook_func(lambda tp: isinstance(tp, _VariantOf), variant_of)
    return conv


def _each(
    container: Any, items: Any, hook: Callable[[Any, Any], Any], item_type: Any, tp: Any
) -> list[Any]:
    """Structure every item, collecting failures with their index or key for the path."""
    results, errors = [], []
    for index, item in items:
        try:
            results.append(hook(item, item_type))
        except Exception as exc:
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                IterableValidationNote(f"Structuring {tp} @ {index!r}", index, item_type),
            ]
            errors.append(exc)
    if errors:
        raise IterableValidationError(f"while structuring {tp}", errors, tp)
    return results


def _union_hook(conv: cattrs.Converter, union: Any) -> Callable[[Any, Any], Any]:
    variants = {cls.KIND: cls for cls in typing.get_args(union)}
    expected = ", ".join(repr(kind) for kind in variants)

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not dict:
            raise _Invalid(f"expected an object, got {_show(value)}")
        kind = value.get(TAG)
        cls = variants.get(kind) if type(kind) is str else None
        if cls is None:
            got = "none" if kind is None else _show(kind)
            raise _Invalid(f"expected {TAG} to be one of {expected}, got {got}")
        return conv.structure({k: v for k, v in value.items() if k != TAG}, cls)

    return structure


def _int_hook(width: IntWidth) -> Callable[[Any, Any], int]:
    def structure(value: Any, _: Any) -> int:
        if type(value) is not int or not width.lo <= value <= width.hi:
            raise _Invalid(f"expected {width.name} ({width.lo}..{width.hi}), got {_show(value)}")
        return value

    return structure


def _char_hook(value: Any, _: Any) -> str:
    if type(value) is not str or len(value) != 1:
        raise _Invalid(f"expected a single character, got {_show(value)}")
    return value


def _semver_hook(value: Any, _: Any) -> str:
    if type(value) is not str or not is_semver(value):
        raise _Invalid(f"expected a semantic version, got {_show(value)}")
    return value


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    members = {member.value: member for member in cls}
    expected = ", ".join(repr(name) for name in members)

    def structure(value: Any, _: Any) -> enum.Enum:
        member = members.get(value) if type(value) is str else None
        if member is None:
            raise _Invalid(f"expected one of {expected}, got {_show(value)}")
        return member

    return structure


def _structure_uuid(value: Any, _: Any) -> uuid.UUID:
    if type(value) is str:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise _Invalid(f"expected a UUID string, got {_show(value)}")


def _structure_timestamp(value: Any, _: Any) -> datetime.datetime:
    match = _RFC3339.fullmatch(value) if type(value) is str else None
    if match is None:
        raise _Invalid(f"expected an RFC 3339 timestamp, got {_show(value)}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if offset in ("Z", "z"):
        zone = datetime.UTC
    else:
        sign = -1 if offset[0] == "-" else 1
        delta = datetime.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        zone = datetime.timezone(sign * delta)
    try:
        moment = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros, zone
        )
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError) as exc:
        raise _Invalid(f"expected an RFC 3339 timestamp, got {value!r} ({exc})") from None


def _structure_value(value: Any) -> Any:
    """Plain JSON data to a Value: integers beyond i64 become floats, as in serde."""
    kind = type(value)
    if value is None or kind is bool or kind is str or kind is float:
        return value
    if kind is int:
        return value if I64_WIDTH.lo <= value <= I64_WIDTH.hi else float(value)
    if kind is list:
        return [_structure_value(item) for item in value]
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise _Invalid(f"expected object keys to be strings, got {_show(key)}")
        return {key: _structure_value(item) for key, item in value.items()}
    raise _Invalid(f"expected a JSON value, got {_show(value)}")


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None or isinstance(value, bool | int | float | str):
        text = json.dumps(value)
        return text if len(text) <= 60 else f"{text[:57]}..."
    return f"a {type(value).__name__}"
