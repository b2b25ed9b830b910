//! Write native plugins for `hm`, the local runner of Harmont CI.
//!
//! A plugin is a `cdylib` crate that implements one or more of [`StepExecutor`],
//! [`LifecycleHook`] and [`Subcommand`] on `Default` types and declares them with
//! [`hm_plugin!`], which exports the C ABI of `harmont_plugin.h`:
//!
//! ```ignore
//! use harmont_plugin::builders::{executor, manifest};
//! use harmont_plugin::protocol::{ExecutorInput, PluginError, StepResult};
//! use harmont_plugin::{hm_plugin, PluginContext, StepExecutor};
//!
//! #[derive(Default)]
//! struct Hello;
//!
//! impl StepExecutor for Hello {
//!     fn run(&self, ctx: &PluginContext<'_>, input: ExecutorInput) -> Result<StepResult, PluginError> {
//!         ctx.step_stdout(format!("hello from {}\n", input.step.key).as_bytes());
//!         Ok(StepResult { exit_code: 0, committed_snapshot: None, artifacts: Vec::new() })
//!     }
//! }
//!
//! hm_plugin!(manifest = manifest("hello", "0.1.0", "says hello", vec![executor("hello")]), executor = Hello);
//! ```

pub mod abi;
pub mod builders;
mod capability;
mod context;
mod macros;
pub mod protocol;

#[doc(hidden)]
#[path = "glue.rs"]
pub mod __private;

pub use capability::{LifecycleHook, StepExecutor, Subcommand};
pub use context::PluginContext;
pub use protocol::API_VERSION;
