"""
Strict JSON reading for IR documents, and typed access to their fields.

Python's ``json`` module is lenient where an IR must not be: it accepts ``NaN`` and
``Infinity`` and silently keeps the last of two equal keys. Both would let a broken
document load with a meaning nobody wrote, so both are rejected here. Every error names
the place it was found (``where``) and says what was expected and what came.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Final

from harmont._errors import InvalidIR, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "CONTROL",
    "MAX_DEPTH",
    "STRICT",
    "Fields",
    "check_document",
    "check_value",
    "describe",
    "env_problem",
    "located",
    "parse_json",
    "read_source",
    "show_text",
]

#: Whether an unknown field is an error (`hm render --strict`) rather than a warning.
STRICT: Final = contextvars.ContextVar("harmont_ir_strict", default=False)
_log = logging.getLogger("harmont.ir")

#: Largest ``timeout_seconds`` the wire type (a Rust ``u32``) can carry.
U32_MAX: Final = 2**32 - 1
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1
#: How deep arrays and objects may nest in a value (``runner_args``): serde_json's limit,
#: so a document the Rust runner would refuse is refused here too, not half-read.
MAX_DEPTH: Final = 128
#: Digits an integer may have before Python refuses to convert it (``int`` to ``str``).
_SHOWN_DIGITS: Final = 40
#: A lone surrogate: JSON's ``\ud800`` escapes decode to one, but no UTF-8 output (a
#: terminal line, a log prefix, a process argument) can carry it.
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
#: C0 and C1 controls (NUL, newline, escape, NEL...) and the Unicode line separators:
#: characters that, printed, end a line or drive the terminal.
CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: How deep :func:`check_document` names places by their path.
_NAMED_LEVELS: Final = 6


def show_text(value: str) -> str:
    """
    *value* quoted for a message, at most 40 characters, with every character a terminal
    would act on (what :data:`CONTROL` matches, lone surrogates) written as an escape.
    """
    shown = json.dumps(value if len(value) <= 40 else value[:37] + "...", ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", shown)


def _show_int(value: int) -> str:
    # str() of an int of more than 4300 digits raises ValueError: say how long it is.
    if value.bit_length() > _SHOWN_DIGITS * 3.33:
        return f"integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    return f"integer {value}"


def describe(value: object) -> str:  # noqa: PLR0911 - one return per JSON type
    """Name a JSON value for an error message: its JSON type, and the value when short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return _show_int(value)
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {show_text(value)}"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidIR(f"bad JSON: the key {key!r} appears twice in one object; keep one")
        result[key] = value
    return result


def _no_constant(name: str) -> None:
    raise InvalidIR(f"bad JSON: {name} is not a JSON number; use a finite number or null")


@contextlib.contextmanager
def located(prefix: str | None) -> Iterator[None]:
    """Prefix the message of any :class:`InvalidIR` raised inside with ``"<prefix>: "``."""
    try:
        yield
    except InvalidIR as exc:
        if not prefix:
            raise
        raise InvalidIR(
            f"{prefix}: {exc.message}", where=exc.where or prefix, hint=exc.hint
        ) from exc


def parse_json(text: str | bytes) -> Any:
    """
    Parse ``text`` strictly and return the plain data.

    :raises InvalidIR: on malformed JSON, duplicate object keys, ``NaN`` or ``Infinity``.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidIR(
                f"bad JSON: not UTF-8 (byte {exc.start}); save the document as UTF-8"
            ) from exc
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except InvalidIR:  # a ValueError too: raised by the hooks above, already worded
        raise
    except json.JSONDecodeError as exc:
        raise InvalidIR(
            f"bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            where=f"line {exc.lineno} column {exc.colno}",
        ) from exc
    except RecursionError as exc:
        # json's C scanner recurses once per level: deep nesting ends Python's stack.
        raise InvalidIR(
            "bad JSON: arrays and objects nest deeper than this hm can read; "
            f"an IR document nests a few levels, {MAX_DEPTH} at most"
        ) from exc
    except ValueError as exc:
        # The one other ValueError json.loads raises: an integer of more than
        # sys.get_int_max_str_digits() digits, which no IR field can hold.
        raise InvalidIR(
            f"bad JSON: a number has more than {sys.get_int_max_str_digits()} digits; "
            "no IR field holds a number that large"
        ) from exc


def read_source(
    source: Mapping[str, Any] | str | bytes | os.PathLike[str], *, origin: str | None = None
) -> tuple[Any, str | None]:
    """
    Return ``(data, origin)`` for an IR source: JSON data, JSON text, or a path to a file.

    A ``str`` is always JSON text and a path is always an ``os.PathLike``, so a file name can
    never be mistaken for a document. ``origin`` (default: the path, if any) prefixes every
    error about the document.
    """
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        origin = origin or path
        try:
            with open(path, "rb") as handle:  # noqa: PTH123 - any os.PathLike, not only Path
                raw = handle.read()
        except OSError as exc:
            raise UsageError(
                f"cannot read IR file {path!r}: {exc.strerror or exc}",
                hint="pass the path of a JSON file, a pipeline slug, or - for stdin",
            ) from exc
        source = raw
    if isinstance(source, str | bytes):
        with located(origin):
            return parse_json(source), origin
    return source, origin


def env_problem(env: Mapping[str, str], *, name: str) -> str | None:
    """
    What makes *env* (called *name* in the message) impossible to hand to a process: a
    variable name empty or holding ``=`` or NUL, or a value holding NUL; None if nothing.
    """
    for key, value in env.items():
        if not key or "=" in key or "\0" in key:
            why = "is empty" if not key else "contains '='" if "=" in key else "contains NUL"
            return (
                f"{name}: the variable name {show_text(key)} {why}; a variable name is "
                "a non-empty word without '=' or NUL (e.g. CI)"
            )
        if "\0" in value:
            return (
                f"{name}[{show_text(key)}] contains a NUL character, which no process "
                "environment can carry; remove it"
            )
    return None


def check_document(data: object) -> None:
    """
    Refuse a document no output could carry: nested more than :data:`MAX_DEPTH` levels
    (printing or encoding it would exhaust Python's stack), or holding a lone surrogate
    in any string (printing it, or passing it to a process, raises).

    Walked with an explicit stack, so the check itself cannot overflow. Places are named
    as paths (``steps[0].key``) down to a few levels, which is enough to find them.
    """
    stack: list[tuple[object, int, str]] = [(data, 0, "")]
    while stack:
        item, depth, place = stack.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found is not None:
                code = f"\\u{ord(found.group()):04x}"
                shown = show_text(item)
                where = place or "the document"
                raise InvalidIR(
                    f"{where}: {shown} is not valid Unicode (a lone surrogate {code} at "
                    f"character {found.start()}); write the text itself or a valid pair "
                    "of \\u escapes",
                    where=where,
                )
            continue
        if not isinstance(item, list | dict):
            continue
        if depth >= MAX_DEPTH:
            raise InvalidIR(
                f"{place or 'the document'}: arrays and objects nest more than {MAX_DEPTH} "
                "levels deep; flatten them",
                where=place or None,
            )
        named = depth < _NAMED_LEVELS
        if isinstance(item, list):
            stack.extend(
                (value, depth + 1, f"{place}[{index}]" if named else place)
                for index, value in enumerate(item)
            )
            continue
        for key, value in item.items():
            stack.append((key, depth + 1, place or "an object key"))
            child = place
            if named:
                name = key if key.isidentifier() else json.dumps(key)
                child = f"{place}.{name}" if place else name
            stack.append((value, depth + 1, child))


def check_value(value: object, *, where: str, name: str) -> None:
    """
    Check that ``value`` is a wire ``Value`` (docs/protocol.md): JSON data whose integers fit
    in 64 bits and whose numbers are finite.
    """
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if not _I64_MIN <= item <= _I64_MAX:
                raise InvalidIR(
                    f"{where}: {name!r} holds the {_show_int(item)}, which does not fit in 64 "
                    "bits; pass it as a string",
                    where=where,
                )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidIR(
                    f"{where}: {name!r} holds a non-finite number; use a finite number",
                    where=where,
                )
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, nested in item.items():
                if not isinstance(key, str):
                    raise InvalidIR(
                        f"{where}: {name!r} has a non-string object key {key!r}", where=where
                    )
                stack.append(nested)
        else:
            raise InvalidIR(
                f"{where}: {name!r} holds a {type(item).__name__}, which is not JSON data",
                where=where,
            )


class Fields:
    """
    Typed, named access to the fields of one JSON object of an IR document.

    Unknown fields are ignored with a warning, or rejected under :data:`STRICT`
    (:meth:`known`, docs/ir.md); a field that is present with the wrong type
    is an error naming the object (``where``), the field, the expected type and the value.
    ``null`` counts as absent for optional fields, as the DSL writes ``"builds_in": null``.
    """

    def __init__(self, data: object, *, where: str) -> None:
        self.where = where
        if not isinstance(data, dict):
            raise self.fail(f"expected an object, got {describe(data)}")
        self._data: dict[str, Any] = data

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def fail(self, message: str) -> InvalidIR:
        """Return an :class:`InvalidIR` for this object: ``"<where>: <message>"``."""
        if not self.where:  # the document itself: the caller prefixes where it came from
            return InvalidIR(message)
        return InvalidIR(f"{self.where}: {message}", where=self.where)

    def _wrong(self, name: str, expected: str, value: object) -> InvalidIR:
        return self.fail(f"{name!r} must be {expected}, got {describe(value)}")

    def required(self, name: str, expected: str) -> Any:
        """Return the raw value of a required field."""
        if self._data.get(name) is None:
            raise self.fail(f"missing {name!r}: add it ({expected})")
        return self._data[name]

    def string(self, name: str) -> str | None:
        """Return an optional non-empty string field, ``None`` when absent."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self._wrong(name, "a non-empty string", value)
        return value

    def name(self, name: str) -> str:
        """Return a required non-empty string field (a key, a slug, a policy)."""
        value = self.required(name, "a non-empty string")
        if not isinstance(value, str) or not value:
            raise self._wrong(name, "a non-empty string", value)
        return value

    def text(self, name: str) -> str:
        """Return a required string field that may be empty (a command may be ``""``)."""
        value = self.required(name, "a string")
        if not isinstance(value, str):
            raise self._wrong(name, "a string", value)
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        """Return a boolean field, ``default`` when absent."""
        value = self._data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false", value)
        return value

    def seconds(self, name: str) -> int | None:
        """Return a positive whole number of seconds that fits a ``u32``, or ``None``."""
        value = self._data.get(name)
        if value is None:
            return None
        expected = "a positive whole number of seconds"
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self._wrong(name, expected, value)
        if value > U32_MAX:
            raise self._wrong(name, f"{expected} up to {U32_MAX}", value)
        return value

    def string_map(self, name: str) -> dict[str, str] | None:
        """Return an object whose values are all strings, or ``None`` when absent."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self._wrong(name, "an object of strings", value)
        for key, item in value.items():
            if not isinstance(item, str):
                raise self.fail(f"{name}[{key!r}] must be a string, got {describe(item)}")
        return dict(value)

    def environment(self, name: str) -> dict[str, str] | None:
        """
        Return an env object (``string_map``) that a process environment can carry: names
        not empty and without ``=`` or NUL, values without NUL.

        Checked here so every runner refuses the same document with the same message:
        ``execve`` cannot pass such a variable, and each runner failed its own way.
        """
        env = self.string_map(name)
        problem = env_problem(env or {}, name=name)
        if problem is not None:
            raise self.fail(problem)
        return env

    def array(self, name: str, *, required: bool = False) -> list[Any]:
        """Return an array field; an absent optional one is empty."""
        value = self.required(name, "an array") if required else self._data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(name, "an array", value)
        return value

    def known(self, names: frozenset[str]) -> None:
        """
        Report each field of this object outside *names*, naming the closest known one:
        one warning each (IR written for a newer hm still loads), or an error under
        :data:`STRICT`.
        """
        for name in self._data:
            if name in names:
                continue
            import difflib  # only for an unknown field

            near = difflib.get_close_matches(name, sorted(names), n=1)
            message = f"unknown field {name!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
            if STRICT.get():
                raise self.fail(f"{message}; remove it")
            _log.warning("%s: %s", self.where or "the document", message)

    def raw(self, name: str) -> Any:
        """Return a field as it is, ``None`` when absent."""
        return self._data.get(name)
