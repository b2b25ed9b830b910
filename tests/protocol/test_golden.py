"""Golden bytes written out by hand from the docs/protocol.md tables, against both codecs."""

from __future__ import annotations

from typing import Any, Final

import pytest

from harmont import protocol as p
from harmont.protocol._oracle import oracle_encode

from .golden import EVENTS, EXECUTOR_INPUT, MANIFEST, STEP_RESULT, SUBCOMMAND_INPUT

A: Final = bytes.fromhex("00112233445566778899aabbccddeeff")
B: Final = bytes.fromhex("ffeeddccbbaa99887766554433221100")
TS: Final = b"\x7b\x68\xe5\xcf\x8b\x01\x00\x00"  # i64 LE 1_700_000_000_123 ms

MANIFEST_BYTES: Final = (
    b"\x02\x00\x00\x00"  # api_version: u32 2
    b"\x04\x00\x00\x00demo"  # name
    b"\x05\x00\x00\x001.2.3"  # version: semver as its string
    b"\x01\x00\x00\x00d"  # description
    b"\x03\x00\x00\x00"  # capabilities: 3
    b"\x00"  # Capability 0: subcommand
    b"\x05\x00\x00\x00cloud"  # verb
    b"\x01\x00\x00\x00a"  # about
    b"\x03\x00\x00\x00"  # args: 3
    b"\x00"  # ArgSpec 0: positional
    b"\x01\x00\x00\x00n"  # name
    b"\x00"  # help: None
    b"\x01"  # required: true
    b"\x01"  # value_type: int
    b"\x01"  # ArgSpec 1: option
    b"\x03\x00\x00\x00org"  # long
    b"\x01\x6f\x00\x00\x00"  # short: Some('o') as a u32 code point
    b"\x01\x01\x00\x00\x00h"  # help: Some("h")
    b"\x00"  # required: false
    b"\x00"  # value_type: string
    b"\x01\x01\x00\x00\x00x"  # default: Some("x")
    b"\x02"  # ArgSpec 2: flag
    b"\x01\x00\x00\x00v"  # long
    b"\x00"  # short: None
    b"\x00"  # help: None
    b"\x01\x00\x00\x00"  # subcommands: 1 (a bare SubcommandSpec, no tag)
    b"\x02\x00\x00\x00ls"  # verb
    b"\x00\x00\x00\x00"  # about: ""
    b"\x01\x00\x00\x00"  # args: 1
    b"\x03"  # ArgSpec 3: positional_list (appended: older manifests are unchanged)
    b"\x05\x00\x00\x00paths"  # name
    b"\x01\x01\x00\x00\x00p"  # help: Some("p")
    b"\x00"  # value_type: string
    b"\x00\x00\x00\x00"  # subcommands: 0
    b"\x01"  # Capability 1: step_executor
    b"\x06\x00\x00\x00docker"  # runner
    b"\x01"  # default: true
    b"\x00"  # step_schema: None
    b"\x02"  # Capability 2: lifecycle_hook
    b"\x02\x00\x00\x00\x00\x05"  # events: [build_start, step_end]
    b"\x01"  # phase: after
    b"\x30\x75\x00\x00"  # timeout_ms: 30000
    b"\x01"  # config_schema: Some
    b"\x06\x01\x00\x00\x00"  # Value 6: Object, 1 entry
    b"\x01\x00\x00\x00k"  # key "k"
    b"\x02\x01\x00\x00\x00\x00\x00\x00\x00"  # Value 2: Int 1
)

EXECUTOR_INPUT_BYTES: Final = (
    b"\x01\x00\x00\x00b"  # step.key
    b"\x04\x00\x00\x00make"  # step.cmd
    b"\x00"  # step.label: None
    b"\x01\x01\x00\x00\x00a"  # step.builds_in: Some("a")
    b"\x01\x06\x00\x00\x00alpine"  # step.image
    b"\x01\x02\x00\x00\x00"  # step.env: Some, 2 entries, sorted by key
    b"\x01\x00\x00\x00X\x01\x00\x00\x001"
    b"\x01\x00\x00\x00Y\x01\x00\x00\x002"
    b"\x01\x3c\x00\x00\x00"  # step.timeout_seconds: Some(60)
    b"\x01\x03\x00\x00\x00ttl\x01\x02\x00\x00\x00k1"  # step.cache: Some{policy, key}
    b"\x01\x06\x00\x00\x00docker"  # step.runner
    b"\x00"  # step.runner_args: None
    + A  # workspace_archive_id: 16 raw bytes
    + b"\x01\x00\x00\x00\x04\x00\x00\x00HOME\x05\x00\x00\x00/root"  # env
    b"\x0a\x00\x00\x00/workspace"  # workdir
    + B  # run_id
    + A  # step_id
    + b"\x01\x01\x00\x00\x00t"  # cache_lookup: 1 miss_build_as {tag}
    b"\x00"  # parent_snapshot: None
)

STEP_RESULT_BYTES: Final = (
    b"\xff\xff\xff\xff"  # exit_code: i32 -1
    b"\x01\x05\x00\x00\x00img:1"  # committed_snapshot
    b"\x01\x00\x00\x00"  # artifacts: 1
    b"\x03\x00\x00\x00log\x0a\x00\x00\x00text/plain"  # key, mime
    b"\xd2\x04\x00\x00\x00\x00\x00\x00"  # size_bytes: u64 1234
)

SUBCOMMAND_INPUT_BYTES: Final = (
    b"\x02\x00\x00\x00\x05\x00\x00\x00cloud\x02\x00\x00\x00ls"  # verb_path
    b"\x05\x07\x00\x00\x00"  # args: Value 5 Array of 7
    b"\x00"  # Null
    b"\x01\x01"  # Bool(true)
    b"\x02\xfe\xff\xff\xff\xff\xff\xff\xff"  # Int(-2)
    b"\x03\x00\x00\x00\x00\x00\x00\xf8\x3f"  # Float(1.5)
    b"\x04\x01\x00\x00\x00s"  # Str("s")
    b"\x05\x00\x00\x00\x00"  # Array([])
    b"\x06\x00\x00\x00\x00"  # Object({})
    b"\x00\x00\x00\x00"  # env: empty
)

U64_1: Final = b"\x01\x00\x00\x00\x00\x00\x00\x00"
EVENT_BYTES: Final = {
    "build_start": b"\x00"
    + A
    + b"\x03\x00\x00\x00\x00\x00\x00\x00"  # plan.step_count: usize as u64
    + b"\x02\x00\x00\x00\x00\x00\x00\x00"  # plan.chain_count
    + b"\x06\x00\x00\x00docker"  # plan.default_runner
    + TS,
    "step_queued": b"\x01" + A + b"\x01\x00\x00\x00k" + U64_1,
    "step_start": b"\x02" + A + b"\x05\x00\x00\x00local" + b"\x00",
    "step_log": b"\x03" + A + b"\x01" + b"\x02\x00\x00\x00hi" + TS,
    "step_cache_hit": b"\x04" + A + b"\x02\x00\x00\x00ck" + b"\x01\x00\x00\x00t",
    "step_end": b"\x05"
    + A
    + b"\x02\x00\x00\x00"  # exit_code
    + b"\xd2\x04\x00\x00\x00\x00\x00\x00"  # duration_ms
    + b"\x01\x01\x00\x00\x00s",  # snapshot
    "chain_failed": b"\x06"
    + b"\x04\x00\x00\x00\x00\x00\x00\x00"  # chain_idx
    + B
    + b"\x01\x00\x00\x00k"
    + b"\x01\x00\x00\x00"  # exit_code
    + b"\x04\x00\x00\x00boom"
    + TS,
    "build_end": b"\x07" + b"\x00\x00\x00\x00" + b"\x05\x00\x00\x00\x00\x00\x00\x00",
}

CASES: Final[list[tuple[str, Any, Any, bytes]]] = [
    ("manifest", p.PluginManifest, MANIFEST, MANIFEST_BYTES),
    ("executor_input", p.ExecutorInput, EXECUTOR_INPUT, EXECUTOR_INPUT_BYTES),
    ("step_result", p.StepResult, STEP_RESULT, STEP_RESULT_BYTES),
    ("subcommand_input", p.SubcommandInput, SUBCOMMAND_INPUT, SUBCOMMAND_INPUT_BYTES),
    *((f"event_{kind}", p.BuildEvent, EVENTS[kind], raw) for kind, raw in EVENT_BYTES.items()),
]


@pytest.mark.parametrize(("tp", "value", "raw"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
class TestGoldenBytes:
    """Each golden value against bytes derived by hand from the spec tables."""

    def test_runtime_codec_writes_them(self, tp: Any, value: Any, raw: bytes) -> None:
        """to_borsh writes exactly the hand-derived bytes."""
        assert raw == p.to_borsh(value)

    def test_runtime_codec_reads_them(self, tp: Any, value: Any, raw: bytes) -> None:
        """from_borsh reads the hand-derived bytes back into the value."""
        assert value == p.from_borsh(tp, raw)

    def test_oracle_writes_them(self, tp: Any, value: Any, raw: bytes) -> None:
        """borsh-construct agrees with the hand-derived bytes."""
        assert raw == oracle_encode(value)


def test_every_build_event_variant_has_golden_bytes() -> None:
    """The golden table covers all eight BuildEvent variants, in variant-index order."""
    import typing

    expected = [cls.KIND for cls in typing.get_args(p.BuildEvent)]

    assert expected == list(EVENT_BYTES)
