"""
The compiled JSON encoder writes exactly what cattrs' unstructure and ``json.dumps`` wrote,
refuses what is not a protocol object, and is whole the first time any thread uses it.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harmont import protocol as p
from harmont.protocol import _json_encode
from harmont.protocol._scalars import U32, U32_WIDTH

from .golden import EVENTS, TS, UUID_A
from .json_oracle import oracle_to_json
from .strategies import BY_TYPE


def _outcome(encode: Any, value: object) -> tuple[str, str]:
    """What encoding *value* gives: its text, or the kind and message of its refusal."""
    try:
        return "ok", encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize(
    "wire_type", [BY_TYPE[name] for name in sorted(BY_TYPE)], ids=sorted(BY_TYPE)
)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_encoder_writes_the_oracles_text(
    wire_type: tuple[Any, Any], data: st.DataObject
) -> None:
    """Every generated value of every wire type encodes to cattrs' text, byte for byte."""
    _, strategy = wire_type
    value = data.draw(strategy)

    assert oracle_to_json(value) == p.to_json(value)


def _step(**fields: Any) -> p.CommandStep:
    return p.CommandStep(key="k", cmd="true", **fields)


_NAIVE = datetime.datetime(2023, 1, 2, 3, 4, 5)  # refused: no time zone

#: Values at the edges of the wire: refused integers, maps out of order, omitted fields,
#: what ``Value`` turns into null or refuses, timestamps of every precision.
_EDGES: dict[str, object] = {
    "u32 below zero": _step(timeout_seconds=-1),
    "u32 past its width": _step(timeout_seconds=U32_WIDTH.hi + 1),
    "u32 a bool": _step(timeout_seconds=True),
    "env out of order": _step(env={"b": "1", "a": "2"}),
    "runner and runner_args omitted": _step(),
    "runner_args nested out of order": _step(runner="r", runner_args={"z": {"b": 1, "a": [2]}}),
    "runner_args non-finite floats": _step(runner="r", runner_args=[float("inf"), float("nan")]),
    "runner_args past i64": _step(runner="r", runner_args=2**63),
    "runner_args not JSON-like": _step(runner="r", runner_args={"a": object()}),
    "a naive timestamp": p.StepLog(step_id=UUID_A, stream=p.StdStream.STDOUT, line="", ts=_NAIVE),
    "whole seconds": attrs.evolve(EVENTS["step_log"], ts=TS.replace(microsecond=0)),
    "microseconds": attrs.evolve(EVENTS["step_log"], ts=TS.replace(microsecond=123456)),
    "another time zone": attrs.evolve(
        EVENTS["step_log"], ts=TS.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
    ),
    **EVENTS,
}


@pytest.mark.parametrize("value", _EDGES.values(), ids=list(_EDGES))
def test_the_encoder_writes_or_refuses_as_the_oracle_at_the_edges(value: object) -> None:
    assert _outcome(oracle_to_json, value) == _outcome(p.to_json, value)


@pytest.mark.parametrize("value", [5, {"a": 1}, [EVENTS["build_end"]], None, "text"])
def test_what_is_no_protocol_object_is_refused(value: object) -> None:
    """cattrs passed plain data through; the encoder takes protocol objects only."""
    with pytest.raises(TypeError):
        p.to_dict(value)
    with pytest.raises(TypeError):
        p.to_json(value)


def test_a_class_first_used_by_two_threads_encodes_whole_in_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """
    While one thread compiles a class's encoder, another that needs it gets a whole one.

    The first thread is held in the middle of compiling the fields (at the integer field)
    until the second has encoded, so the overlap happens on every run.
    """

    @attrs.frozen
    class Fresh:  # a class of its own, so this is its first use
        first: str
        width: U32
        last: str

    value = Fresh(first="a", width=1, last="z")
    compiling = threading.Thread(target=lambda: results.append(p.to_json(value)))
    halfway, encoded = threading.Event(), threading.Event()
    checked_int = _json_encode._checked_int

    def held(width: Any) -> Any:
        if threading.current_thread() is compiling:
            halfway.set()
            encoded.wait(30)
        return checked_int(width)

    monkeypatch.setattr(_json_encode, "_checked_int", held)
    results: list[str] = []
    compiling.start()
    assert halfway.wait(30)
    results.append(p.to_json(value))
    encoded.set()
    compiling.join(30)

    assert ['{"first":"a","width":1,"last":"z"}'] * 2 == results
