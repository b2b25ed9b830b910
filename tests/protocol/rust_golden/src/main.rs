//! Cross-check of the borsh layouts: `rust-golden <dir>`.
//!
//! 1. Writes the golden values of `tests/protocol/golden.py`, built with the `borsh` crate,
//!    to `<dir>/rust/<name>.bin`.
//! 2. Decodes every `<dir>/python/<Type>.<case>.bin` strictly as `<Type>`; writes the
//!    re-encoded bytes to `<dir>/roundtrip/`, or the error to `<dir>/rejected/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use borsh::BorshDeserialize;
use harmont_plugin::protocol::*;

const UUID_A: Uuid = Uuid([
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
]);
const UUID_B: Uuid = Uuid([
    0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
]);
const TS: Timestamp = Timestamp(1_700_000_000_123);

fn s(text: &str) -> String {
    text.to_owned()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (s(k), s(v))).collect()
}

fn golden() -> Vec<(&'static str, Vec<u8>)> {
    let manifest = PluginManifest {
        api_version: 2,
        name: s("demo"),
        version: s("1.2.3"),
        description: s("d"),
        capabilities: vec![
            Capability::Subcommand(SubcommandSpec {
                verb: s("cloud"),
                about: s("a"),
                args: vec![
                    ArgSpec::Positional {
                        name: s("n"),
                        help: None,
                        required: true,
                        value_type: ValueType::Int,
                    },
                    ArgSpec::Option {
                        long: s("org"),
                        short: Some('o'),
                        help: Some(s("h")),
                        required: false,
                        value_type: ValueType::String,
                        default: Some(s("x")),
                    },
                    ArgSpec::Flag {
                        long: s("v"),
                        short: None,
                        help: None,
                    },
                ],
                subcommands: vec![SubcommandSpec {
                    verb: s("ls"),
                    about: s(""),
                    args: vec![ArgSpec::PositionalList {
                        name: s("paths"),
                        help: Some(s("p")),
                        value_type: ValueType::String,
                    }],
                    subcommands: vec![],
                }],
            }),
            Capability::StepExecutor(StepExecutorSpec {
                runner: s("docker"),
                default: true,
                step_schema: None,
            }),
            Capability::LifecycleHook(LifecycleHookSpec {
                events: vec![HookEventKind::BuildStart, HookEventKind::StepEnd],
                phase: HookPhase::After,
                timeout_ms: 30000,
            }),
        ],
        config_schema: Some(Value::Object(
            [(s("k"), Value::Int(1))].into_iter().collect(),
        )),
    };
    let executor_input = ExecutorInput {
        step: CommandStep {
            key: s("b"),
            cmd: s("make"),
            label: None,
            builds_in: Some(s("a")),
            image: Some(s("alpine")),
            env: Some(map(&[("Y", "2"), ("X", "1")])),
            timeout_seconds: Some(60),
            cache: Some(CacheSpec {
                policy: s("ttl"),
                key: Some(s("k1")),
            }),
            runner: Some(s("docker")),
            runner_args: None,
        },
        workspace_archive_id: UUID_A,
        env: map(&[("HOME", "/root")]),
        workdir: s("/workspace"),
        run_id: UUID_B,
        step_id: UUID_A,
        cache_lookup: CacheDecision::MissBuildAs { tag: s("t") },
        parent_snapshot: None,
    };
    let step_result = StepResult {
        exit_code: -1,
        committed_snapshot: Some(s("img:1")),
        artifacts: vec![ArtifactRef {
            key: s("log"),
            mime: s("text/plain"),
            size_bytes: 1234,
        }],
    };
    let subcommand_input = SubcommandInput {
        verb_path: vec![s("cloud"), s("ls")],
        args: Value::Array(vec![
            Value::Null,
            Value::Bool(true),
            Value::Int(-2),
            Value::Float(1.5),
            Value::Str(s("s")),
            Value::Array(vec![]),
            Value::Object(BTreeMap::new()),
        ]),
        env: BTreeMap::new(),
    };
    let events = [
        (
            "event_build_start",
            BuildEvent::BuildStart {
                run_id: UUID_A,
                plan: PlanSummary {
                    step_count: 3,
                    chain_count: 2,
                    default_runner: s("docker"),
                },
                started_at: TS,
            },
        ),
        (
            "event_step_queued",
            BuildEvent::StepQueued {
                step_id: UUID_A,
                key: s("k"),
                chain_idx: 1,
            },
        ),
        (
            "event_step_start",
            BuildEvent::StepStart {
                step_id: UUID_A,
                runner: s("local"),
                image: None,
            },
        ),
        (
            "event_step_log",
            BuildEvent::StepLog {
                step_id: UUID_A,
                stream: StdStream::Stderr,
                line: s("hi"),
                ts: TS,
            },
        ),
        (
            "event_step_cache_hit",
            BuildEvent::StepCacheHit {
                step_id: UUID_A,
                key: s("ck"),
                tag: s("t"),
            },
        ),
        (
            "event_step_end",
            BuildEvent::StepEnd {
                step_id: UUID_A,
                exit_code: 2,
                duration_ms: 1234,
                snapshot: Some(s("s")),
            },
        ),
        (
            "event_chain_failed",
            BuildEvent::ChainFailed {
                chain_idx: 4,
                failed_step_id: UUID_B,
                failed_step_key: s("k"),
                exit_code: 1,
                message: s("boom"),
                ts: TS,
            },
        ),
        (
            "event_build_end",
            BuildEvent::BuildEnd {
                exit_code: 0,
                duration_ms: 5,
            },
        ),
    ];
    let mut out = vec![
        ("manifest", borsh::to_vec(&manifest).unwrap()),
        ("executor_input", borsh::to_vec(&executor_input).unwrap()),
        ("step_result", borsh::to_vec(&step_result).unwrap()),
        (
            "subcommand_input",
            borsh::to_vec(&subcommand_input).unwrap(),
        ),
    ];
    out.extend(
        events
            .iter()
            .map(|(name, event)| (*name, borsh::to_vec(event).unwrap())),
    );
    out
}

/// Decode strictly (no trailing bytes) and re-encode.
fn round_trip<T: BorshDeserialize + borsh::BorshSerialize>(data: &[u8]) -> Result<Vec<u8>, String> {
    let value: T = borsh::from_slice(data).map_err(|err| err.to_string())?;
    borsh::to_vec(&value).map_err(|err| err.to_string())
}

fn decode_as(type_name: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    match type_name {
        "PluginManifest" => round_trip::<PluginManifest>(data),
        "Capability" => round_trip::<Capability>(data),
        "ArgSpec" => round_trip::<ArgSpec>(data),
        "SubcommandSpec" => round_trip::<SubcommandSpec>(data),
        "CommandStep" => round_trip::<CommandStep>(data),
        "CacheSpec" => round_trip::<CacheSpec>(data),
        "ExecutorInput" => round_trip::<ExecutorInput>(data),
        "CacheDecision" => round_trip::<CacheDecision>(data),
        "StepResult" => round_trip::<StepResult>(data),
        "ArtifactRef" => round_trip::<ArtifactRef>(data),
        "HookEvent" => round_trip::<HookEvent>(data),
        "HookOutcome" => round_trip::<HookOutcome>(data),
        "SubcommandInput" => round_trip::<SubcommandInput>(data),
        "ExitInfo" => round_trip::<ExitInfo>(data),
        "PluginError" => round_trip::<PluginError>(data),
        "BuildEvent" => round_trip::<BuildEvent>(data),
        "PlanSummary" => round_trip::<PlanSummary>(data),
        other => Err(format!("unknown type {other}")),
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: rust-golden <dir>");
    let dir = Path::new(&dir);
    for sub in ["rust", "roundtrip", "rejected"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for (name, bytes) in golden() {
        fs::write(dir.join("rust").join(format!("{name}.bin")), bytes).unwrap();
    }
    for entry in fs::read_dir(dir.join("python")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let type_name = file.split('.').next().unwrap();
        match decode_as(type_name, &fs::read(&path).unwrap()) {
            Ok(bytes) => fs::write(dir.join("roundtrip").join(&file), bytes).unwrap(),
            Err(err) => fs::write(dir.join("rejected").join(&file), err).unwrap(),
        }
    }
}
