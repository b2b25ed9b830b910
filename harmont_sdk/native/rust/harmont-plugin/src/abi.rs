//! The C ABI of `harmont_plugin.h`, mirrored field for field.
//!
//! Plugin authors normally never touch this module: [`hm_plugin!`](crate::hm_plugin) builds
//! the [`HmPlugin`] table and the entry symbol, and [`PluginContext`](crate::PluginContext)
//! wraps [`HmHost`]. It is public for plugins that want to hand-write the table, and so that
//! the layout is documented in one place on the Rust side.

use core::ffi::c_void;

/// The one symbol the host looks up (`HM_PLUGIN_ENTRY_SYMBOL`).
pub const ENTRY_SYMBOL: &str = "hm_plugin_entry_v1";

/// Plugin function result: the buffer holds the Ok payload.
pub const HM_OK: i32 = 0;
/// Plugin function result: the buffer holds a borsh `PluginError`.
pub const HM_ERR: i32 = 1;
/// Host function result: a value was written to `out`.
pub const HM_SOME: i32 = 1;
/// Host function result: no value (or success, for functions without output).
pub const HM_NONE: i32 = 0;
/// Host function result: the arguments were rejected and nothing happened.
pub const HM_EINVAL: i32 = -1;

/// `hm_buf`: a byte buffer handed from callee to caller; the allocator frees it.
#[repr(C)]
#[derive(Debug)]
pub struct HmBuf {
    /// First byte; may be null when `len` is 0.
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
}

/// `hm_ctx`: the per-call context, valid until the call returns.
#[repr(C)]
#[derive(Debug)]
pub struct HmCtx {
    /// The host functions.
    pub host: *const HmHost,
    /// Owned by the host; never read it.
    pub host_data: *mut c_void,
}

/// `hm_host`: the functions the host offers during a call.
#[repr(C)]
pub struct HmHost {
    pub api_version: u32,
    pub struct_size: u32,
    pub log: unsafe extern "C" fn(*const HmCtx, u8, *const u8, usize),
    pub kv_get: unsafe extern "C" fn(*const HmCtx, u8, *const u8, usize, *mut HmBuf) -> i32,
    pub kv_set: unsafe extern "C" fn(*const HmCtx, u8, *const u8, usize, *const u8, usize) -> i32,
    pub emit_event: unsafe extern "C" fn(*const HmCtx, *const u8, usize) -> i32,
    pub emit_step_log: unsafe extern "C" fn(*const HmCtx, u8, *const u8, usize),
    pub should_cancel: unsafe extern "C" fn(*const HmCtx) -> i32,
    pub write_stdout: unsafe extern "C" fn(*const HmCtx, *const u8, usize),
    pub write_stderr: unsafe extern "C" fn(*const HmCtx, *const u8, usize),
    pub archive_read:
        unsafe extern "C" fn(*const HmCtx, *const [u8; 16], u64, u64, *mut HmBuf) -> i32,
    pub archive_total_size: unsafe extern "C" fn(*const HmCtx, *const [u8; 16]) -> u64,
    pub fs_read_config: unsafe extern "C" fn(*const HmCtx, *const u8, usize, *mut HmBuf) -> i32,
    pub free: unsafe extern "C" fn(*mut u8, usize),
}

/// A plugin capability call: context, input payload, output buffer.
pub type CapabilityFn = unsafe extern "C" fn(*const HmCtx, *const u8, usize, *mut HmBuf) -> i32;

/// `hm_plugin`: the table the entry symbol returns.
#[repr(C)]
pub struct HmPlugin {
    /// Read by the host before anything else (the api-version peek).
    pub api_version: u32,
    pub struct_size: u32,
    pub manifest: Option<unsafe extern "C" fn(*mut HmBuf) -> i32>,
    pub execute_step: Option<CapabilityFn>,
    pub on_hook_event: Option<CapabilityFn>,
    pub run_subcommand: Option<CapabilityFn>,
    pub free: Option<unsafe extern "C" fn(*mut u8, usize)>,
}
