"""Malformed borsh is one DecodeError saying what and at which byte, as strict as the Rust crate."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any, Final

import pytest

from harmont import DecodeError
from harmont import protocol as p
from harmont.protocol._oracle import oracle_decode

from .golden import STEP_RESULT
from .test_golden import STEP_RESULT_BYTES, A

_NAN: Final = b"\x00\x00\x00\x00\x00\x00\xf8\x7f"

#: (id, type, bytes, expected message, expected offset)
CASES: Final[list[tuple[str, Any, bytes, str, int]]] = [
    (
        "truncated",
        p.StepResult,
        STEP_RESULT_BYTES[:-1],
        "invalid borsh StepResult.artifacts[0].size_bytes at byte 39: "
        "expected 8 bytes of u64, got 7",
        39,
    ),
    (
        "empty",
        p.StepResult,
        b"",
        "invalid borsh StepResult.exit_code at byte 0: expected 4 bytes of i32, got 0",
        0,
    ),
    (
        "trailing bytes",
        p.StepResult,
        STEP_RESULT_BYTES + b"\x00\x00",
        "invalid borsh StepResult at byte 47: 2 trailing bytes after the value",
        47,
    ),
    (
        "unknown variant index",
        p.BuildEvent,
        b"\x08",
        "invalid borsh BuildEvent at byte 0: variant index must be below 8 (BuildStart | "
        "StepQueued | StepStart | StepLog | StepCacheHit | StepEnd | ChainFailed | BuildEnd), "
        "got 8",
        0,
    ),
    (
        "fieldless enum index out of range",
        p.BuildEvent,
        b"\x03" + A + b"\x02",
        "invalid borsh BuildEvent.stream at byte 17: StdStream index must be below 2, got 2",
        17,
    ),
    (
        "invalid UTF-8",
        p.StepResult,
        b"\x00\x00\x00\x00\x01\x02\x00\x00\x00\xc3\x28\x00\x00\x00\x00",
        "invalid borsh StepResult.committed_snapshot at byte 9: "
        "invalid UTF-8 in string (invalid continuation byte)",
        9,
    ),
    (
        "string longer than the buffer",
        p.StepResult,
        b"\x00\x00\x00\x00\x01\x10\x00\x00\x00ab",
        "invalid borsh StepResult.committed_snapshot at byte 5: "
        "string length 16 needs at least 16 bytes, 2 remain",
        5,
    ),
    (
        "sequence longer than the buffer",
        p.StepResult,
        b"\x00\x00\x00\x00\x00\x02\x00\x00\x00" + b"\x00" * 20,
        "invalid borsh StepResult.artifacts at byte 5: "
        "sequence length 2 needs at least 32 bytes, 20 remain",
        5,
    ),
    (
        "bool byte not 0 or 1",
        p.Capability,
        b"\x01\x01\x00\x00\x00d\x02\x00",
        "invalid borsh Capability.default at byte 6: bool byte must be 0 or 1, got 2",
        6,
    ),
    (
        "option tag not 0 or 1",
        p.StepResult,
        b"\x00\x00\x00\x00\x02",
        "invalid borsh StepResult.committed_snapshot at byte 4: option tag must be 0 or 1, got 2",
        4,
    ),
    (
        "unsorted map keys",
        p.SubcommandInput,
        b"\x00\x00\x00\x00\x00\x02\x00\x00\x00"
        b"\x01\x00\x00\x00b\x01\x00\x00\x00x\x01\x00\x00\x00a\x01\x00\x00\x00y",
        "invalid borsh SubcommandInput.env at byte 19: "
        "map keys must be sorted and unique, got 'a' after 'b'",
        19,
    ),
    (
        "duplicate map keys",
        p.SubcommandInput,
        b"\x00\x00\x00\x00\x00\x02\x00\x00\x00"
        b"\x01\x00\x00\x00a\x01\x00\x00\x00x\x01\x00\x00\x00a\x01\x00\x00\x00y",
        "invalid borsh SubcommandInput.env at byte 19: "
        "map keys must be sorted and unique, got 'a' after 'a'",
        19,
    ),
    (
        "NaN float",
        p.SubcommandInput,
        b"\x00\x00\x00\x00\x03" + _NAN + b"\x00\x00\x00\x00",
        "invalid borsh SubcommandInput.args at byte 5: f64 is NaN, which borsh forbids",
        5,
    ),
    (
        "Value variant index out of range",
        p.SubcommandInput,
        b"\x00\x00\x00\x00\x07",
        "invalid borsh SubcommandInput.args at byte 4: Value variant index must be below 7, got 7",
        4,
    ),
    (
        "char that is a surrogate",
        p.ArgSpec,
        b"\x02\x01\x00\x00\x00v\x01\x00\xd8\x00\x00\x00",
        "invalid borsh ArgSpec.short at byte 7: char must be a Unicode scalar value, got U+D800",
        7,
    ),
    (
        "timestamp out of range",
        p.BuildEvent,
        b"\x03" + A + b"\x00\x00\x00\x00\x00" + b"\xff\xff\xff\xff\xff\xff\xff\x7f",
        "invalid borsh BuildEvent.ts at byte 22: "
        "timestamp 9223372036854775807 ms is outside years 1-9999",
        22,
    ),
    (
        "invalid semver",
        p.PluginManifest,
        b"\x02\x00\x00\x00\x01\x00\x00\x00n\x03\x00\x00\x001.0",
        "invalid borsh PluginManifest.version at byte 9: expected a semantic version, got '1.0'",
        9,
    ),
]


@pytest.mark.parametrize(
    ("tp", "data", "message", "offset"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_input_is_one_decode_error(
    tp: Any, data: bytes, message: str, offset: int
) -> None:
    """Each malformed input raises DecodeError naming the field, the byte and what was wrong."""
    with pytest.raises(DecodeError) as info:
        p.from_borsh(tp, data)

    assert (message, offset) == (str(info.value), info.value.offset)


class TestClaimedFourGiB:
    """A length prefix of 2**32 - 1 fails at once, without allocating or reading on."""

    @pytest.mark.parametrize(
        ("data", "what"),
        [
            (b"\x00\x00\x00\x00\x01\xff\xff\xff\xff", "string length 4294967295"),
            (b"\x00\x00\x00\x00\x00\xff\xff\xff\xff", "sequence length 4294967295"),
        ],
        ids=["string", "sequence"],
    )
    def test_fails_fast(self, data: bytes, what: str) -> None:
        """The claimed length is checked against the 0 bytes that remain, in well under 10 ms."""
        started = time.perf_counter()
        with pytest.raises(DecodeError) as info:
            p.from_borsh(p.StepResult, data)
        elapsed = time.perf_counter() - started

        assert what in str(info.value)
        assert 5 == info.value.offset
        assert elapsed < 0.01


class TestStricterThanTheOracle:
    """Cases borsh-construct accepts and the Rust crate (and our codec) reject."""

    def test_oracle_accepts_option_tag_two(self) -> None:
        """borsh-construct reads an option tag of 2 as Some; from_borsh refuses it."""
        data = b"\x00\x00\x00\x00\x02\x01\x00\x00\x00s\x00\x00\x00\x00"

        assert p.StepResult(exit_code=0, committed_snapshot="s") == oracle_decode(
            p.StepResult, data
        )
        with pytest.raises(DecodeError):
            p.from_borsh(p.StepResult, data)

    def test_oracle_accepts_trailing_bytes(self) -> None:
        """borsh-construct ignores trailing bytes; from_borsh refuses them."""
        assert STEP_RESULT == oracle_decode(p.StepResult, STEP_RESULT_BYTES + b"\x00")
        with pytest.raises(DecodeError):
            p.from_borsh(p.StepResult, STEP_RESULT_BYTES + b"\x00")


class TestUnencodable:
    """Values the wire cannot carry are a ValueError naming the field, before any byte is sent."""

    def test_int_out_of_range(self) -> None:
        """An exit code beyond i32 names the field and the range."""
        with pytest.raises(ValueError, match="exit_code") as info:
            p.to_borsh(p.StepResult(exit_code=2**31))

        assert (
            "cannot encode StepResult.exit_code as borsh: "
            "expected i32 (-2147483648..2147483647), got 2147483648"
        ) == str(info.value)

    def test_naive_timestamp(self) -> None:
        """A timestamp without a timezone is refused rather than guessed."""
        naive = p.StepLog(
            step_id=uuid.UUID(int=1),
            stream=p.StdStream.STDOUT,
            line="",
            ts=datetime.datetime(2026, 1, 1),
        )

        with pytest.raises(ValueError, match=r"^cannot encode BuildEvent\.ts as borsh: "):
            p.to_borsh(naive)

    def test_lone_surrogate(self) -> None:
        """A string that is not valid Unicode names the field that holds it."""
        with pytest.raises(ValueError, match=r"^cannot encode ExitInfo\.message as borsh: "):
            p.to_borsh(p.ExitInfo(exit_code=0, message="\ud800"))

    def test_value_int_beyond_i64(self) -> None:
        """A Value integer must fit i64, as in Rust; the path names the array index."""
        with pytest.raises(ValueError, match="i64") as info:
            p.to_borsh(p.SubcommandInput(verb_path=(), args=[0, 2**63], env={}))

        assert (
            "cannot encode SubcommandInput.args[1] as borsh: Value integers must fit i64, "
            "got 9223372036854775808"
        ) == str(info.value)
