//! Shorthands for the manifest a plugin declares in [`hm_plugin!`](crate::hm_plugin).

use crate::protocol::{
    Capability, HookEventKind, HookPhase, LifecycleHookSpec, PluginManifest, StepExecutorSpec,
    SubcommandSpec,
};
use crate::API_VERSION;

/// A manifest for this SDK's API version, without a config schema.
pub fn manifest(
    name: &str,
    version: &str,
    description: &str,
    capabilities: Vec<Capability>,
) -> PluginManifest {
    PluginManifest {
        api_version: API_VERSION,
        name: name.to_owned(),
        version: version.to_owned(),
        description: description.to_owned(),
        capabilities,
        config_schema: None,
    }
}

/// A step executor for the runner `runner` (not the default runner).
pub fn executor(runner: &str) -> Capability {
    Capability::StepExecutor(StepExecutorSpec {
        runner: runner.to_owned(),
        default: false,
        step_schema: None,
    })
}

/// A lifecycle hook on `events` in `phase`; each call may take at most `timeout_ms`.
pub fn hook(events: &[HookEventKind], phase: HookPhase, timeout_ms: u32) -> Capability {
    Capability::LifecycleHook(LifecycleHookSpec {
        events: events.to_vec(),
        phase,
        timeout_ms,
    })
}

/// A top-level verb `hm <verb>` without arguments or sub-verbs.
pub fn subcommand(verb: &str, about: &str) -> Capability {
    Capability::Subcommand(SubcommandSpec {
        verb: verb.to_owned(),
        about: about.to_owned(),
        args: Vec::new(),
        subcommands: Vec::new(),
    })
}

/// Every kind of event a hook can subscribe to.
pub const ALL_EVENTS: [HookEventKind; 7] = [
    HookEventKind::BuildStart,
    HookEventKind::StepQueued,
    HookEventKind::StepStart,
    HookEventKind::StepLog,
    HookEventKind::StepCacheHit,
    HookEventKind::StepEnd,
    HookEventKind::BuildEnd,
];
