//! Wire types of the `hm` plugin protocol, API version 2.
//!
//! Every payload that crosses the plugin boundary is borsh-encoded with exactly these
//! field orders and variant indexes; the Python host (`harmont.protocol`) encodes the same
//! types to the same bytes, and its test suite checks both directions against this crate.
//!
//! Conventions: timestamps are [`Timestamp`] (i64 milliseconds since the Unix epoch, UTC),
//! UUIDs are [`Uuid`] (16 raw bytes), maps are [`BTreeMap`] (written sorted by key; the
//! decoder rejects unsorted or duplicate keys), `usize` fields travel as `u64`, a semantic
//! version travels as its string, and `char` as its `u32` code point.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use borsh::{BorshDeserialize, BorshSerialize};

/// The plugin API version; the host rejects a manifest that declares another.
pub const API_VERSION: u32 = 2;

/// A UUID as its 16 bytes, in RFC 4122 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize)]
pub struct Uuid(pub [u8; 16]);

/// A point in time: milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct Timestamp(pub i64);

/// Handle to the packed source tree of a run.
pub type ArchiveId = Uuid;

/// An executor's snapshot (for docker, an image tag); the host never parses it.
pub type SnapshotRef = String;

/// A dynamic JSON-like value. Objects are sorted maps.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// JSON `true` / `false`.
    Bool(bool),
    /// A number that fits `i64`.
    Int(i64),
    /// Any other number; NaN is rejected by borsh.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, sorted by key.
    Object(BTreeMap<String, Value>),
}

// ---------------------------------------------------------------------------------------
// IR
// ---------------------------------------------------------------------------------------

/// The host-side view of a step's cache object.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CacheSpec {
    /// The policy name (`none`, `forever`, `ttl`, `on_change`, `compose`).
    pub policy: String,
    /// The cache key computed at render time, when the policy has one.
    pub key: Option<String>,
}

/// One command step, after the host's patches (default image, merged env).
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct CommandStep {
    /// The unique step key.
    pub key: String,
    /// The shell command, run as `sh -c <cmd>`.
    pub cmd: String,
    /// The display label.
    pub label: Option<String>,
    /// Key of the parent step whose filesystem this step inherits; `None` for a chain root.
    pub builds_in: Option<String>,
    /// The base image; meaningful only for a step without a parent snapshot.
    pub image: Option<String>,
    /// The step's env, over the pipeline's.
    pub env: Option<BTreeMap<String, String>>,
    /// The step's time limit.
    pub timeout_seconds: Option<u32>,
    /// The step's cache policy and key.
    pub cache: Option<CacheSpec>,
    /// The step-executor plugin to run this step; `None` means the default runner.
    pub runner: Option<String>,
    /// Plugin-specific arguments, checked against the runner's `step_schema`.
    pub runner_args: Option<Value>,
}

// ---------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------

/// What a plugin declares about itself at load time.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct PluginManifest {
    /// Must equal [`API_VERSION`]; first on the wire so a host can check it before the rest.
    pub api_version: u32,
    /// The registry key and the name in error messages, e.g. `harmont-docker`.
    pub name: String,
    /// A semantic version, as its string.
    pub version: String,
    /// One line shown by `hm plugin list`.
    pub description: String,
    /// Must not be empty.
    pub capabilities: Vec<Capability>,
    /// JSON Schema of the plugin's configuration in `.harmont/plugins.toml`.
    pub config_schema: Option<Value>,
}

/// One thing a plugin provides.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub enum Capability {
    /// A verb under `hm`.
    Subcommand(SubcommandSpec),
    /// A runner for steps.
    StepExecutor(StepExecutorSpec),
    /// A subscription to build events.
    LifecycleHook(LifecycleHookSpec),
}

/// A verb the plugin adds under `hm` (or, nested, under its parent verb).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SubcommandSpec {
    /// The word typed after `hm` (or after the parent verb).
    pub verb: String,
    /// One line of help.
    pub about: String,
    /// The verb's arguments, in order.
    pub args: Vec<ArgSpec>,
    /// Nested verbs.
    pub subcommands: Vec<SubcommandSpec>,
}

/// One argument of a subcommand.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ArgSpec {
    /// A positional argument.
    Positional {
        /// The argument's name in help and in the parsed `args` object.
        name: String,
        /// One line of help.
        help: Option<String>,
        /// Whether the verb fails without it.
        required: bool,
        /// How the host parses it.
        value_type: ValueType,
    },
    /// A `--long VALUE` option.
    Option {
        /// The long name, without dashes.
        long: String,
        /// The one-character short name.
        #[borsh(
            serialize_with = "char_codec::serialize",
            deserialize_with = "char_codec::deserialize"
        )]
        short: Option<char>,
        /// One line of help.
        help: Option<String>,
        /// Whether the verb fails without it.
        required: bool,
        /// How the host parses it.
        value_type: ValueType,
        /// The value used when the option is absent.
        default: Option<String>,
    },
    /// A boolean `--long` flag.
    Flag {
        /// The long name, without dashes.
        long: String,
        /// The one-character short name.
        #[borsh(
            serialize_with = "char_codec::serialize",
            deserialize_with = "char_codec::deserialize"
        )]
        short: Option<char>,
        /// One line of help.
        help: Option<String>,
    },
    /// The last positional argument, taking every remaining word: the plugin gets an
    /// array, possibly empty. Appended as variant 3, so manifests without it encode as
    /// before (no api_version change).
    PositionalList {
        /// The argument's name in help and in the parsed `args` object.
        name: String,
        /// One line of help.
        help: Option<String>,
        /// How the host parses each item.
        value_type: ValueType,
    },
}

/// How the host parses a subcommand argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ValueType {
    /// Passed as a string.
    String,
    /// Parsed as an integer.
    Int,
    /// Accepted; the reference host parses it as a string.
    Bool,
}

/// A runner the plugin provides.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct StepExecutorSpec {
    /// Matched against [`CommandStep::runner`].
    pub runner: String,
    /// Run steps that name no runner; at most one plugin system-wide may set it.
    pub default: bool,
    /// JSON Schema for [`CommandStep::runner_args`].
    pub step_schema: Option<Value>,
}

/// A subscription to build events, in one phase, with a per-call time limit.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LifecycleHookSpec {
    /// The events to receive.
    pub events: Vec<HookEventKind>,
    /// Before (may abort) or after (observes).
    pub phase: HookPhase,
    /// The time limit of one call.
    pub timeout_ms: u32,
}

// ---------------------------------------------------------------------------------------
// Step execution
// ---------------------------------------------------------------------------------------

/// Everything an executor needs to run one step.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct ExecutorInput {
    /// The IR step after the host's patches.
    pub step: CommandStep,
    /// The packed source tree, read through the host's archive calls.
    pub workspace_archive_id: ArchiveId,
    /// The merged env.
    pub env: BTreeMap<String, String>,
    /// Always `/workspace`.
    pub workdir: String,
    /// One per `hm run`.
    pub run_id: Uuid,
    /// Fresh per step execution.
    pub step_id: Uuid,
    /// The host's cache verdict.
    pub cache_lookup: CacheDecision,
    /// The snapshot to boot from: the previous step of the chain, or the fork parent.
    pub parent_snapshot: Option<SnapshotRef>,
}

/// The host's cache verdict for one step; the executor must obey it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum CacheDecision {
    /// Boot from the cached snapshot `tag` and return it; do not run the command.
    Hit {
        /// The cached snapshot.
        tag: String,
    },
    /// Run the command and, on success, commit the result as `tag` and report it.
    MissBuildAs {
        /// The snapshot to commit.
        tag: String,
    },
    /// Run the command; commit nothing.
    MissNoCommit,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct StepResult {
    /// The command's exit code.
    pub exit_code: i32,
    /// Set when the executor produced a snapshot.
    pub committed_snapshot: Option<SnapshotRef>,
    /// Files the step produced.
    pub artifacts: Vec<ArtifactRef>,
}

/// A file a step produced.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ArtifactRef {
    /// The artifact's name.
    pub key: String,
    /// Its media type.
    pub mime: String,
    /// Its size.
    pub size_bytes: u64,
}

// ---------------------------------------------------------------------------------------
// Hooks
// ---------------------------------------------------------------------------------------

/// One build event delivered to a hook, in one phase.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HookEvent {
    /// The event.
    pub event: BuildEvent,
    /// The phase it is delivered in.
    pub phase: HookPhase,
}

/// `Before` hooks may abort the action; `After` hooks only observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum HookPhase {
    /// Before the action; may abort it.
    Before,
    /// After the action; the outcome is ignored.
    After,
}

/// A hook's answer; `Abort` is honoured in the `Before` phase only.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum HookOutcome {
    /// Let the build go on.
    Continue,
    /// Stop the build.
    Abort {
        /// Shown to the user.
        reason: String,
    },
}

/// The subscription vocabulary of lifecycle hooks (there is no `chain_failed` kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum HookEventKind {
    /// [`BuildEvent::BuildStart`]
    BuildStart,
    /// [`BuildEvent::StepQueued`]
    StepQueued,
    /// [`BuildEvent::StepStart`]
    StepStart,
    /// [`BuildEvent::StepLog`] (opt-in: one call per log line)
    StepLog,
    /// [`BuildEvent::StepCacheHit`]
    StepCacheHit,
    /// [`BuildEvent::StepEnd`]
    StepEnd,
    /// [`BuildEvent::BuildEnd`]
    BuildEnd,
}

// ---------------------------------------------------------------------------------------
// Subcommands and errors
// ---------------------------------------------------------------------------------------

/// A parsed plugin subcommand invocation.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct SubcommandInput {
    /// The full path including the top verb, e.g. `["cloud", "org", "switch"]`.
    pub verb_path: Vec<String>,
    /// An object of the parsed arguments.
    pub args: Value,
    /// Every process env var whose name starts with `HARMONT_`.
    pub env: BTreeMap<String, String>,
}

/// How a subcommand ends the process.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExitInfo {
    /// Becomes the process exit code.
    pub exit_code: i32,
    /// Printed to stderr, followed by a newline, before exiting.
    pub message: Option<String>,
}

/// The error a plugin returns from any capability call.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PluginError {
    /// A stable snake_case id; `not_implemented` and `deserialize` are reserved.
    pub code: String,
    /// One line for the user.
    pub message: String,
    /// Where to read more.
    pub doc_url: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Build events
// ---------------------------------------------------------------------------------------

/// One event of a build.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum BuildEvent {
    /// The build was planned and is about to run.
    BuildStart {
        /// One per `hm run`.
        run_id: Uuid,
        /// The plan's shape.
        plan: PlanSummary,
        /// When the build started.
        started_at: Timestamp,
    },
    /// Its chain reached the step: the cache decision and the start come next.
    StepQueued {
        /// Fresh per step execution.
        step_id: Uuid,
        /// The step key.
        key: String,
        /// The index of the step's chain in the plan, as in `ChainFailed::chain_idx`.
        chain_idx: u64,
    },
    /// A step started.
    StepStart {
        /// The step execution.
        step_id: Uuid,
        /// The resolved runner (the default runner for a step that names none).
        runner: String,
        /// Its image; a chain root without one has the pipeline's default image.
        image: Option<String>,
    },
    /// A line of step output.
    StepLog {
        /// The step execution.
        step_id: Uuid,
        /// Which stream.
        stream: StdStream,
        /// The line, without its newline.
        line: String,
        /// When it was written.
        ts: Timestamp,
    },
    /// A step was satisfied from the cache.
    StepCacheHit {
        /// The step execution.
        step_id: Uuid,
        /// The cache key, not the step key.
        key: String,
        /// The cached snapshot.
        tag: String,
    },
    /// A step finished.
    StepEnd {
        /// The step execution.
        step_id: Uuid,
        /// The executor's exit code: 124 a step timeout, 130 cancelled, 1 when the
        /// runner's plugin failed.
        exit_code: i32,
        /// Wall time.
        duration_ms: u64,
        /// The snapshot the step left, if any (live or durable).
        snapshot: Option<SnapshotRef>,
    },
    /// A chain stopped because one of its steps failed or a hook aborted it.
    ChainFailed {
        /// The chain's index in the plan.
        chain_idx: u64,
        /// The step execution that failed.
        failed_step_id: Uuid,
        /// Its step key.
        failed_step_key: String,
        /// Its exit code; 1 when its plugin failed or a hook aborted.
        exit_code: i32,
        /// What went wrong, in one line.
        message: String,
        /// When.
        ts: Timestamp,
    },
    /// The build finished; always the last event.
    BuildEnd {
        /// 0, 1 (a step failed), 6 (a plugin failed a step) or 130 (cancelled), the
        /// highest-ranked that applies. `hm run` exits with it unless an error that is not
        /// a step's own (the engine gone, a failing hook) stopped the build.
        exit_code: i32,
        /// Wall time.
        duration_ms: u64,
    },
}

/// The shape of a planned build.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PlanSummary {
    /// Command steps only.
    pub step_count: u64,
    /// Chains, each owning one live environment.
    pub chain_count: u64,
    /// The runner of steps that name none.
    pub default_runner: String,
}

/// Which output stream of a step a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Severity of a plugin's log call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// For debugging.
    Debug,
    /// Normal.
    Info,
    /// Something looks wrong.
    Warn,
    /// Something failed.
    Error,
}

/// Lifetime of a key-value entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum KvScope {
    /// Persistent, isolated per plugin.
    Plugin,
    /// In memory, one build.
    Build,
    /// In memory, one step.
    Step,
}

/// `Option<char>` as a 0/1 tag and a `u32` code point: borsh has no `char` layout.
mod char_codec {
    use super::*;

    pub fn serialize<W: Write>(value: &Option<char>, writer: &mut W) -> io::Result<()> {
        value.map(u32::from).serialize(writer)
    }

    pub fn deserialize<R: Read>(reader: &mut R) -> io::Result<Option<char>> {
        match Option::<u32>::deserialize_reader(reader)? {
            None => Ok(None),
            Some(code) => char::from_u32(code).map(Some).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("invalid char U+{code:04X}"),
                )
            }),
        }
    }
}
