"""The JSON codec writes and reads exactly the serde shapes of docs/protocol.md."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from harmont import DecodeError
from harmont import protocol as p

from .golden import EVENTS, EXECUTOR_INPUT, MANIFEST, TS, UUID_A


class TestShapes:
    """Tags, nulls, omitted fields and scalar forms on output."""

    def test_step_log_event(self) -> None:
        """An event is compact, tag first, hyphenated UUID, RFC 3339 UTC timestamp with Z."""
        expected = (
            '{"kind":"step_log","step_id":"00112233-4455-6677-8899-aabbccddeeff",'
            '"stream":"stderr","line":"hi","ts":"2023-11-14T22:13:20.123Z"}'
        )

        assert expected == p.to_json(EVENTS["step_log"])

    def test_command_step_writes_nulls_but_omits_runner_fields(self) -> None:
        """Absent optionals are null, except runner and runner_args, which are left out."""
        expected = (
            '{"key":"a","cmd":"true","label":null,"builds_in":null,"image":null,'
            '"env":null,"timeout_seconds":null,"cache":null}'
        )

        assert expected == p.to_json(p.CommandStep(key="a", cmd="true"))

    def test_command_step_writes_runner_fields_when_set(self) -> None:
        """A set runner and runner_args come last, in declaration order."""
        step = p.CommandStep(key="a", cmd="true", runner="local", runner_args={"b": 1, "a": 2})

        assert p.to_json(step).endswith(
            ',"cache":null,"runner":"local","runner_args":{"a":2,"b":1}}'
        )

    def test_executor_input(self) -> None:
        """Maps are written sorted by key and the cache decision is tagged with kind."""
        data = p.to_dict(EXECUTOR_INPUT)

        assert ({"X": "1", "Y": "2"}, {"kind": "miss_build_as", "tag": "t"}, None) == (
            data["step"]["env"],
            data["cache_lookup"],
            data["parent_snapshot"],
        )
        assert ["X", "Y"] == list(data["step"]["env"])

    def test_unit_variants_are_just_their_tag(self) -> None:
        """Variants without fields are an object holding only the tag."""
        assert ['{"kind":"miss_no_commit"}', '{"kind":"continue"}'] == [
            p.to_json(p.CacheMissNoCommit()),
            p.to_json(p.HookContinue()),
        ]

    def test_manifest_capabilities_and_args(self) -> None:
        """Capabilities and args carry kind first; enums are their snake_case names."""
        data = p.to_dict(MANIFEST)
        capability_kinds = [capability["kind"] for capability in data["capabilities"]]
        args = data["capabilities"][0]["args"]

        assert ["subcommand", "step_executor", "lifecycle_hook"] == capability_kinds
        assert ["positional", "option", "flag"] == [arg["kind"] for arg in args]
        assert {"kind": "option", "long": "org", "short": "o"} == dict(list(args[1].items())[:3])
        assert ["build_start", "step_end"] == data["capabilities"][2]["events"]
        assert "int" == args[0]["value_type"]

    @pytest.mark.parametrize(
        ("moment", "text"),
        [
            (datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "2026-01-02T03:04:05Z"),
            (TS, "2023-11-14T22:13:20.123Z"),
            (
                datetime.datetime(2026, 1, 2, 3, 4, 5, 120001, tzinfo=datetime.UTC),
                "2026-01-02T03:04:05.120001Z",
            ),
            (
                datetime.datetime(
                    2026, 1, 2, 5, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
                ),
                "2026-01-02T03:04:05Z",
            ),
            (datetime.datetime(999, 1, 2, tzinfo=datetime.UTC), "0999-01-02T00:00:00Z"),
        ],
        ids=["whole seconds", "milliseconds", "microseconds", "other offset", "year 999"],
    )
    def test_timestamps_are_utc_with_z(self, moment: datetime.datetime, text: str) -> None:
        """Timestamps are written in UTC with Z and as few fraction digits as needed."""
        event = p.ChainFailed(
            chain_idx=0,
            failed_step_id=UUID_A,
            failed_step_key="k",
            exit_code=1,
            message="",
            ts=moment,
        )

        assert text == p.to_dict(event)["ts"]


class TestReading:
    """What the decoder accepts, as serde does."""

    @pytest.mark.parametrize(
        "text",
        [
            "2023-11-14T22:13:20.123Z",
            "2023-11-14T22:13:20.123000999Z",
            "2023-11-14T23:13:20.123+01:00",
            "2023-11-14t22:13:20.123z",
        ],
    )
    def test_timestamp_forms(self, text: str) -> None:
        """RFC 3339 with any fraction length and any offset reads as the same UTC instant."""
        data = {"kind": "step_log", "step_id": str(UUID_A), "stream": "stderr", "line": "hi"}

        assert EVENTS["step_log"] == p.from_dict(p.BuildEvent, {**data, "ts": text})

    def test_value_round_trips_with_ordinary_json(self) -> None:
        """Value is untagged: integers stay ints, 1.0 stays a float, keys come back sorted."""
        text = '{"verb_path":[],"args":{"b":[1,1.0,null,true,"x"],"a":{}},"env":{}}'
        decoded = p.from_json(p.SubcommandInput, text)

        assert {"b": [1, 1.0, None, True, "x"], "a": {}} == decoded.args
        assert [int, float] == [type(item) for item in decoded.args["b"][:2]]
        assert '{"verb_path":[],"args":{"a":{},"b":[1,1.0,null,true,"x"]},"env":{}}' == (
            p.to_json(decoded)
        )

    def test_value_integers_beyond_i64_become_floats(self) -> None:
        """A number that does not fit i64 reads as a (lossy) float, as serde's Value does."""
        decoded = p.from_json(
            p.SubcommandInput, '{"verb_path":[],"args":18446744073709551615,"env":{}}'
        )

        assert 1.8446744073709552e19 == decoded.args

    def test_non_finite_value_floats_are_written_as_null(self) -> None:
        """A Value float that JSON cannot carry is written as null."""
        value = p.SubcommandInput(verb_path=(), args=[float("inf"), float("nan")], env={})

        assert '{"verb_path":[],"args":[null,null],"env":{}}' == p.to_json(value)

    def test_parent_snapshot_defaults_to_null(self) -> None:
        """ExecutorInput without parent_snapshot reads as None."""
        data = p.to_dict(EXECUTOR_INPUT)
        del data["parent_snapshot"]

        assert EXECUTOR_INPUT == p.from_dict(p.ExecutorInput, data)

    def test_missing_runner_fields_read_as_none(self) -> None:
        """A command step written before runners existed still decodes."""
        step = p.from_json(p.CommandStep, '{"key":"a","cmd":"true"}')

        assert p.CommandStep(key="a", cmd="true") == step

    def test_unknown_fields_are_ignored_where_serde_ignores_them(self) -> None:
        """StepResult is not closed: an unknown field is skipped."""
        decoded = p.from_json(
            p.StepResult, '{"exit_code":0,"committed_snapshot":null,"artifacts":[],"x":1}'
        )

        assert p.StepResult(exit_code=0) == decoded

    def test_bytes_input(self) -> None:
        """from_json accepts UTF-8 bytes as well as text."""
        assert p.HookContinue() == p.from_json(p.HookOutcome, b'{"kind":"continue"}')


def _closed_cases() -> list[tuple[Any, dict[str, Any]]]:
    hook_event = p.HookEvent(event=EVENTS["build_end"], phase=p.HookPhase.BEFORE)
    subcommand = p.SubcommandInput(verb_path=("x",), args={}, env={})
    return [
        (p.ExecutorInput, p.to_dict(EXECUTOR_INPUT)),
        (p.HookEvent, p.to_dict(hook_event)),
        (p.SubcommandInput, p.to_dict(subcommand)),
    ]


class TestRejection:
    """Shape errors are one DecodeError that names the JSON path."""

    @pytest.mark.parametrize(
        ("tp", "data"), _closed_cases(), ids=lambda v: getattr(v, "__name__", "")
    )
    def test_closed_types_reject_unknown_fields(self, tp: Any, data: dict[str, Any]) -> None:
        """ExecutorInput, HookEvent and SubcommandInput refuse fields they do not know."""
        with pytest.raises(DecodeError) as info:
            p.from_dict(tp, {**data, "surprise": 1})

        assert f"invalid JSON {tp.__name__}: extra fields found (surprise) @ $" == str(info.value)

    @pytest.mark.parametrize(
        ("patch", "message"),
        [
            ({"exit_code": "0"}, 'expected i32 (-2147483648..2147483647), got "0" @ $.exit_code'),
            ({"exit_code": True}, "expected i32 (-2147483648..2147483647), got true @ $.exit_code"),
            ({"exit_code": 1.0}, "expected i32 (-2147483648..2147483647), got 1.0 @ $.exit_code"),
            ({"committed_snapshot": 3}, "expected a string, got 3 @ $.committed_snapshot"),
            ({"artifacts": "abc"}, 'expected an array, got "abc" @ $.artifacts'),
            (
                {"artifacts": [{"key": "k", "mime": "m"}]},
                "required field missing @ $.artifacts[0].size_bytes",
            ),
        ],
        ids=[
            "string for int",
            "bool for int",
            "float for int",
            "int for string",
            "string for array",
            "missing field",
        ],
    )
    def test_no_coercion(self, patch: dict[str, Any], message: str) -> None:
        """Nothing is coerced: a value of the wrong JSON type is an error at its path."""
        data = {"exit_code": 0, "committed_snapshot": None, "artifacts": [], **patch}

        with pytest.raises(DecodeError) as info:
            p.from_dict(p.StepResult, data)

        assert f"invalid JSON StepResult: {message}" == str(info.value)

    def test_unknown_tag(self) -> None:
        """An unknown kind lists the kinds that exist."""
        with pytest.raises(DecodeError) as info:
            p.from_json(p.HookOutcome, '{"kind":"retry"}')

        expected = "expected kind to be one of 'continue', 'abort', got \"retry\" @ $"

        assert f"invalid JSON HookOutcome: {expected}" == str(info.value)

    def test_nested_path(self) -> None:
        """An error deep in a document names the full path, and how many more there are."""
        data = p.to_dict(MANIFEST)
        data["capabilities"][0]["args"][1]["short"] = "long"
        data["version"] = "1.0"

        with pytest.raises(DecodeError) as info:
            p.from_dict(p.PluginManifest, data)

        assert (
            'invalid JSON PluginManifest: expected a semantic version, got "1.0" @ $.version '
            "(and 1 more)"
        ) == str(info.value)

    def test_malformed_text_has_offset(self) -> None:
        """Text that is not JSON at all reports the character offset."""
        with pytest.raises(DecodeError) as info:
            p.from_json(p.StepResult, '{"exit_code": 0,}')

        assert 16 == info.value.offset

    def test_nan_literal_is_rejected(self) -> None:
        """NaN is not JSON, even though Python's json module reads it by default."""
        with pytest.raises(DecodeError, match="NaN is not valid JSON"):
            p.from_json(p.SubcommandInput, '{"verb_path":[],"args":NaN,"env":{}}')

    def test_variant_class_checks_the_tag(self) -> None:
        """Decoding as a variant class refuses another variant's JSON."""
        with pytest.raises(DecodeError) as info:
            p.from_json(p.StepLog, p.to_json(EVENTS["build_end"]))

        assert "invalid JSON StepLog: expected kind 'step_log', got 'build_end' @ $" == str(
            info.value
        )

    def test_round_trip_is_plain_json(self) -> None:
        """to_json output is ordinary JSON that json.loads reads."""
        assert p.to_dict(MANIFEST) == json.loads(p.to_json(MANIFEST))
