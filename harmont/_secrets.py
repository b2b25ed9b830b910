"""
Secrets: variables every step gets and nothing hm shows or stores ever holds.

``hm run --secret NAME[=VALUE]`` (and ``harmont.run(secrets=...)``) hands each step the
variable NAME. Its value reaches the executor in the step's env and nowhere else: it is not
part of the IR, so it never enters a cache key (a cached step is keyed on its command, env
and parent as rendered; neither a secret's value nor the fact that one was given changes
that key, so rotating a token does not invalidate the cache, and no digest of a value is
ever stored). Executors pass it per step (an ``exec``'s env, a process's env), never as
a container's own env, so a committed image's config does not carry it; the kubernetes
runner, whose pods are never committed, gives it to them through a Secret object they
reference instead, so that no value travels in the exec stream.

Whatever comes back is masked by a :class:`Masker`: each value, and for values of
:data:`MIN_ENCODED` characters or more its base64 (standard and URL-safe, padding
dropped) and URL-encoded forms, becomes ``***``. Step output is masked as it enters the
host, before it is split into lines, by a :class:`StreamMasker` per step and stream,
which holds back the bytes that could begin a value split across two reads; events,
error messages and plugin log records are masked as strings.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from typing import TYPE_CHECKING, Any, AnyStr, Final, TypeVar, final

import attrs

from harmont._errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from harmont._errors import HarmontError

__all__ = ["MASK", "MIN_ENCODED", "Masker", "StreamMasker", "parse_secrets"]

T = TypeVar("T")

#: What every occurrence of a value becomes.
MASK: Final = "***"
#: Values at least this long are also masked in their encoded forms; shorter ones would
#: turn up by chance in ordinary output once encoded (``YQ`` is base64 of ``a``).
MIN_ENCODED: Final = 4

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_secrets(specs: Iterable[str], environ: Mapping[str, str]) -> dict[str, str]:
    """
    ``--secret NAME[=VALUE]`` options as ``{NAME: VALUE}``; without ``=VALUE``, from *environ*.

    :raises UsageError: a NAME that is not a variable name, or that *environ* lacks.
    """
    secrets: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not _NAME.fullmatch(name):
            raise UsageError(
                f"--secret expects NAME or NAME=VALUE with NAME a variable name (got {name!r})",
                hint="for example: --secret API_TOKEN",
            )
        if not sep:
            if name not in environ:
                raise UsageError(
                    f"--secret {name}: no variable {name} in hm's environment",
                    hint=f"export {name} first, or pass --secret {name}=VALUE",
                )
            value = environ[name]
        secrets[name] = value
    return secrets


def _forms(value: str) -> set[str]:
    """*value*, and its encoded forms when it is long enough for them to be its own."""
    if not value:
        return set()
    forms = {value}
    if len(value) >= MIN_ENCODED:
        raw = value.encode()
        forms |= {
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value, safe=""),
        }
    return forms


@final
class Masker:
    """
    Replaces every form of every secret value with :data:`MASK`.

    Occurrences that overlap are masked as one, so a value that contains another (or
    shares a part with it) is masked whole.
    A masker without values changes nothing and costs one attribute test per call.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        forms = sorted({form for value in values for form in _forms(value)}, key=len)[::-1]
        #: Whether there is anything to mask.
        self.active: Final = bool(forms)
        #: The length in bytes of the longest form: what a stream must hold back.
        self.longest: Final = max((len(form.encode()) for form in forms), default=0)
        #: Whether some form spans lines, so a stream cannot release up to a newline.
        self.multiline: Final = any("\n" in form for form in forms)
        self._text: Final = tuple(forms)
        self._bytes: Final = tuple(form.encode() for form in forms)

    def mask(self, text: str) -> str:
        """*text* with every form of every value replaced by :data:`MASK`."""
        if not self.active:
            return text
        spans = _spans(text, self._text, len(text))
        return text if not spans else _replace(text, spans, MASK, len(text))

    def mask_error(self, error: HarmontError) -> HarmontError:
        """*error* with its message and hint masked, in place (it is about to be raised)."""
        if self.active:
            error.message = self.mask(error.message)
            error.args = (error.message, *error.args[1:])
            if error.hint is not None:
                error.hint = self.mask(error.hint)
        return error

    def mask_fields(self, obj: T) -> T:
        """
        An attrs instance (an event) with its string fields masked; *obj* itself when
        nothing needed masking, so events without secrets are never copied.
        """
        if not self.active or not attrs.has(type(obj)):
            return obj
        instance: Any = obj
        changes = {
            field.name: masked
            for field in attrs.fields(type(instance))
            if isinstance(value := getattr(instance, field.name), str)
            and (masked := self.mask(value)) != value
        }
        return attrs.evolve(instance, **changes) if changes else obj

    def stream(self) -> StreamMasker:
        """A masker for one stream of raw output that may split a value across reads."""
        return StreamMasker(self)

    def _split(self, data: bytes, *, final: bool) -> tuple[bytes, bytes]:
        """
        *data* masked, as (what is safe to release now, what must wait for more bytes).

        A form that starts before the held tail ends inside *data*, so it was seen whole:
        only bytes that could begin a form completed by the next read are held.
        """
        hold = 0 if final else self.longest - 1
        if not self.multiline and not final:
            # No form spans a newline: whatever precedes the last one is complete.
            hold = min(hold, len(data) - data.rfind(b"\n") - 1)
        safe = max(len(data) - hold, 0)
        spans = _spans(data, self._bytes, safe)
        cut = max(safe, spans[-1][1]) if spans else safe
        return _replace(data, spans, MASK.encode(), cut), data[cut:]


def _spans(data: AnyStr, forms: tuple[AnyStr, ...], before: int) -> list[tuple[int, int]]:
    """
    Where *forms* occur in *data*, starting before offset *before*, overlaps merged.

    ``find`` per form (a C-speed substring search) rather than one regular expression:
    an alternation is tried at every offset, some thousand times slower on plain output.
    """
    found = []
    for form in forms:
        start = data.find(form, 0, before + len(form) - 1)
        while 0 <= start < before:
            found.append((start, start + len(form)))
            start = data.find(form, start + 1, before + len(form) - 1)
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _replace(data: AnyStr, spans: list[tuple[int, int]], mask: AnyStr, cut: int) -> AnyStr:
    """``data[:cut]`` with each span replaced by *mask*."""
    parts = []
    position = 0
    for start, end in spans:
        parts.append(data[position:start])
        parts.append(mask)
        position = end
    parts.append(data[position:cut])
    return data[:0].join(parts)


@final
class StreamMasker:
    """
    Masks one stream of chunks, holding back the tail that may begin a split value.

    :meth:`feed` returns what can be released; :meth:`flush` (at the step's end) returns
    the rest. Not thread-safe: each (step, stream) has its own, fed under its own lock.
    """

    def __init__(self, masker: Masker) -> None:
        self._masker = masker
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        """The masked bytes of ``held + data`` that no later chunk can change."""
        if not self._masker.active:
            return data
        out, self._pending = self._masker._split(self._pending + data, final=False)
        return out

    def flush(self) -> bytes:
        """Everything still held, masked: the stream has ended."""
        if not self._pending:
            return b""
        out, _ = self._masker._split(self._pending, final=True)
        self._pending = b""
        return out
