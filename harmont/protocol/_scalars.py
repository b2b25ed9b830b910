"""
The scalar wire types (docs/protocol.md), as ``Annotated`` aliases.

A field's annotation is the one place its wire type is written down: the Python type is
what mypy and users see (``int``, ``str``), the marker in the metadata is what both codecs
read (integer width and signedness, ``char``, semver). The aliases read like the Rust
types they mirror, so a protocol class doubles as its own schema table.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Annotated, Final, TypeAlias

import attrs

__all__ = [
    "CHAR",
    "I32",
    "I32_WIDTH",
    "I64",
    "I64_WIDTH",
    "SEMVER",
    "U32",
    "U32_WIDTH",
    "U64",
    "U64_WIDTH",
    "USIZE_WIDTH",
    "ArchiveId",
    "Char",
    "IntWidth",
    "Semver",
    "SnapshotRef",
    "TextKind",
    "Usize",
    "from_millis",
    "is_semver",
    "to_millis",
]


@attrs.frozen
class IntWidth:
    """A fixed-width little-endian integer: its Rust name, struct format and range."""

    name: str
    fmt: str
    lo: int
    hi: int


@attrs.frozen
class TextKind:
    """A string-valued scalar with its own wire form (``char``) or validation (semver)."""

    name: str


U32_WIDTH: Final = IntWidth("u32", "<I", 0, 2**32 - 1)
U64_WIDTH: Final = IntWidth("u64", "<Q", 0, 2**64 - 1)
#: ``usize`` travels as u64 (docs/protocol.md) but keeps its Rust name in error messages.
USIZE_WIDTH: Final = IntWidth("usize", "<Q", 0, 2**64 - 1)
I32_WIDTH: Final = IntWidth("i32", "<i", -(2**31), 2**31 - 1)
I64_WIDTH: Final = IntWidth("i64", "<q", -(2**63), 2**63 - 1)

#: A ``char`` is a u32 Unicode scalar value on the borsh wire and a one-character string in JSON.
CHAR: Final = TextKind("char")
#: A semantic version travels as its string form; both codecs reject anything else.
SEMVER: Final = TextKind("semver")

U32: TypeAlias = Annotated[int, U32_WIDTH]
U64: TypeAlias = Annotated[int, U64_WIDTH]
Usize: TypeAlias = Annotated[int, USIZE_WIDTH]
I32: TypeAlias = Annotated[int, I32_WIDTH]
I64: TypeAlias = Annotated[int, I64_WIDTH]
Char: TypeAlias = Annotated[str, CHAR]
Semver: TypeAlias = Annotated[str, SEMVER]

#: Handle to a packed source tree; transparent on the wire (16 bytes / hyphenated string).
ArchiveId: TypeAlias = uuid.UUID
#: An executor's snapshot (for docker, an image tag); the host never parses it.
SnapshotRef: TypeAlias = str

# semver.org 2.0.0: no leading zeros in numeric identifiers, optional pre-release and build.
_NUM = r"0|[1-9]\d*"
_PRE_ID = rf"(?:{_NUM}|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
_BUILD_ID = r"[0-9a-zA-Z-]+"
_SEMVER_RE: Final = re.compile(
    rf"(?:{_NUM})\.(?:{_NUM})\.(?:{_NUM})"
    rf"(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?"
    rf"(?:\+{_BUILD_ID}(?:\.{_BUILD_ID})*)?",
    re.ASCII,
)


_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MILLISECOND: Final = datetime.timedelta(milliseconds=1)


def to_millis(moment: datetime.datetime) -> int:
    """A timestamp's borsh form: whole milliseconds since the epoch, rounded down."""
    return (moment - _EPOCH) // _MILLISECOND


def from_millis(millis: int) -> datetime.datetime:
    """
    The UTC datetime ``millis`` milliseconds after the epoch.

    :raises OverflowError: outside the years 1-9999 that ``datetime`` can hold.
    """
    return _EPOCH + datetime.timedelta(milliseconds=millis)


def is_semver(text: str) -> bool:
    """Whether ``text`` is a semantic version as the Rust ``semver`` crate parses it."""
    return _SEMVER_RE.fullmatch(text) is not None
