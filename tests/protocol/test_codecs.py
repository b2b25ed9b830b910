"""Both codecs round-trip every wire type, and the runtime borsh codec matches the oracle."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harmont import DecodeError
from harmont import protocol as p
from harmont.protocol._oracle import oracle_decode, oracle_encode

from .strategies import BY_TYPE

_WIRE_TYPES = pytest.mark.parametrize(
    "wire_type", [BY_TYPE[name] for name in sorted(BY_TYPE)], ids=sorted(BY_TYPE)
)


@_WIRE_TYPES
class TestProperties:
    """Properties over generated values of every top-level wire type."""

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def test_borsh_round_trips(self, wire_type: tuple[Any, Any], data: st.DataObject) -> None:
        """from_borsh(T, to_borsh(x)) == x."""
        tp, strategy = wire_type
        value = data.draw(strategy)

        assert value == p.from_borsh(tp, p.to_borsh(value))

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def test_borsh_bytes_equal_oracle(
        self, wire_type: tuple[Any, Any], data: st.DataObject
    ) -> None:
        """The runtime codec writes borsh-construct's bytes, and the oracle reads them back."""
        tp, strategy = wire_type
        value = data.draw(strategy)
        encoded = p.to_borsh(value)

        assert oracle_encode(value) == encoded
        assert value == oracle_decode(tp, encoded)

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def test_json_round_trips(self, wire_type: tuple[Any, Any], data: st.DataObject) -> None:
        """from_json(T, to_json(x)) == x, and from_dict mirrors to_dict."""
        tp, strategy = wire_type
        value = data.draw(strategy)

        assert value == p.from_json(tp, p.to_json(value))
        assert value == p.from_dict(tp, p.to_dict(value))


class TestVariants:
    """A variant class stands for its union on the wire."""

    def test_variant_encodes_with_its_union_index(self) -> None:
        """to_borsh of a variant writes the union's variant index first."""
        assert b"\x07\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00" == p.to_borsh(
            p.BuildEnd(exit_code=0, duration_ms=5)
        )

    def test_variant_class_decodes_its_own_variant(self) -> None:
        """from_borsh(BuildEnd, ...) returns the BuildEnd the bytes hold."""
        event = p.BuildEnd(exit_code=1, duration_ms=2)

        assert event == p.from_borsh(p.BuildEnd, p.to_borsh(event))

    def test_variant_class_rejects_another_variant(self) -> None:
        """Decoding a BuildEnd's bytes as StepLog fails, naming both."""
        data = p.to_borsh(p.BuildEnd(exit_code=1, duration_ms=2))

        with pytest.raises(DecodeError) as info:
            p.from_borsh(p.StepLog, data)

        assert "invalid borsh StepLog at byte 0: expected variant StepLog, got BuildEnd" == str(
            info.value
        )

    def test_non_finite_floats_travel_in_borsh(self) -> None:
        """Infinities are valid borsh f64 values, unlike NaN."""
        result = p.SubcommandInput(verb_path=(), args=[float("inf"), float("-inf")], env={})

        assert result == p.from_borsh(p.SubcommandInput, p.to_borsh(result))
        assert oracle_encode(result) == p.to_borsh(result)
