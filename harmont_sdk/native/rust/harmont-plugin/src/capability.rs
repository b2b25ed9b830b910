//! The three capabilities a plugin can implement.
//!
//! Implementations are instantiated once per load with `Default` and then called from any
//! number of threads at once, hence the `Send + Sync` bounds. Return `Err(PluginError)` for
//! an expected failure; a panic is caught by the generated glue and reported as the error
//! code `panic`, and never unwinds into the host.

use crate::protocol::{
    ExecutorInput, ExitInfo, HookEvent, HookOutcome, PluginError, StepResult, SubcommandInput,
};
use crate::PluginContext;

/// Runs steps whose `runner` the manifest's `StepExecutorSpec` names.
pub trait StepExecutor: Default + Send + Sync + 'static {
    /// Runs one step and reports its exit code and snapshot.
    fn run(&self, ctx: &PluginContext<'_>, input: ExecutorInput)
        -> Result<StepResult, PluginError>;
}

/// Reacts to the build events the manifest's `LifecycleHookSpec` subscribes to.
pub trait LifecycleHook: Default + Send + Sync + 'static {
    /// Handles one event; `HookOutcome::Abort` stops the build in the `before` phase only.
    fn on_event(
        &self,
        ctx: &PluginContext<'_>,
        event: HookEvent,
    ) -> Result<HookOutcome, PluginError>;
}

/// Runs the `hm <verb>` commands the manifest's `SubcommandSpec`s declare.
pub trait Subcommand: Default + Send + Sync + 'static {
    /// Runs one command line; `ExitInfo.exit_code` becomes hm's exit code.
    fn run(&self, ctx: &PluginContext<'_>, input: SubcommandInput)
        -> Result<ExitInfo, PluginError>;
}
