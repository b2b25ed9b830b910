//! [`PluginContext`]: the host functions, safe and typed, for the duration of one call.

use core::marker::PhantomData;

use crate::abi::{HmBuf, HmCtx, HmHost, HM_SOME};
use crate::protocol::{ArchiveId, BuildEvent, KvScope, Level, StdStream};

/// What a capability call can ask of the host (docs/plugins.md).
///
/// A context is valid for the call it was passed to. It is `Send` and `Sync`: threads the
/// call starts may use it, and the borrow makes them finish before the call returns (use
/// [`std::thread::scope`]).
pub struct PluginContext<'call> {
    ctx: *const HmCtx,
    host: &'call HmHost,
    _call: PhantomData<&'call HmCtx>,
}

// SAFETY: harmont_plugin.h guarantees that host functions may be called from any thread at
// the same time while the call is running; the lifetime keeps every use inside the call.
unsafe impl Send for PluginContext<'_> {}
// SAFETY: as above; the context holds no state of its own.
unsafe impl Sync for PluginContext<'_> {}

impl<'call> PluginContext<'call> {
    /// Wraps the context the host passed to a plugin function.
    ///
    /// # Safety
    /// `ctx` must be the non-null context of a call that outlives `'call`.
    pub unsafe fn from_raw(ctx: *const HmCtx) -> Self {
        Self {
            ctx,
            host: &*(*ctx).host,
            _call: PhantomData,
        }
    }

    /// Logs a message under the plugin's name; `hm -v` shows it.
    pub fn log(&self, level: Level, message: &str) {
        // SAFETY: pointers and lengths come from a live &str.
        unsafe { (self.host.log)(self.ctx, level as u8, message.as_ptr(), message.len()) }
    }

    /// Reads a key; `None` when it is not set.
    pub fn kv_get(&self, scope: KvScope, key: &str) -> Option<Vec<u8>> {
        let mut out = HmBuf {
            ptr: core::ptr::null_mut(),
            len: 0,
        };
        // SAFETY: `out` is a valid HmBuf the host fills on HM_SOME.
        let status =
            unsafe { (self.host.kv_get)(self.ctx, scope as u8, key.as_ptr(), key.len(), &mut out) };
        (status == HM_SOME).then(|| self.take(out))
    }

    /// Writes a key: plugin scope persists across runs, build and step scopes do not.
    pub fn kv_set(&self, scope: KvScope, key: &str, value: &[u8]) {
        // SAFETY: pointers and lengths come from live slices.
        unsafe {
            (self.host.kv_set)(
                self.ctx,
                scope as u8,
                key.as_ptr(),
                key.len(),
                value.as_ptr(),
                value.len(),
            );
        }
    }

    /// Publishes an event on the run's event stream.
    pub fn emit_event(&self, event: &BuildEvent) {
        let bytes = borsh::to_vec(event).expect("a BuildEvent always encodes");
        // SAFETY: pointer and length come from a live Vec.
        unsafe { (self.host.emit_event)(self.ctx, bytes.as_ptr(), bytes.len()) };
    }

    /// Sends a chunk of the current step's output; the host splits it into lines.
    pub fn emit_step_log(&self, stream: StdStream, data: &[u8]) {
        // SAFETY: pointer and length come from a live slice.
        unsafe { (self.host.emit_step_log)(self.ctx, stream as u8, data.as_ptr(), data.len()) }
    }

    /// Shorthand for [`emit_step_log`](Self::emit_step_log) on stdout.
    pub fn step_stdout(&self, data: &[u8]) {
        self.emit_step_log(StdStream::Stdout, data);
    }

    /// Shorthand for [`emit_step_log`](Self::emit_step_log) on stderr.
    pub fn step_stderr(&self, data: &[u8]) {
        self.emit_step_log(StdStream::Stderr, data);
    }

    /// True once the run is cancelled; poll it during long work.
    pub fn should_cancel(&self) -> bool {
        // SAFETY: the context is live.
        unsafe { (self.host.should_cancel)(self.ctx) != 0 }
    }

    /// Writes to hm's own stdout: the user-facing output of a subcommand.
    pub fn write_stdout(&self, data: &[u8]) {
        // SAFETY: pointer and length come from a live slice.
        unsafe { (self.host.write_stdout)(self.ctx, data.as_ptr(), data.len()) }
    }

    /// Writes to hm's own stderr.
    pub fn write_stderr(&self, data: &[u8]) {
        // SAFETY: pointer and length come from a live slice.
        unsafe { (self.host.write_stderr)(self.ctx, data.as_ptr(), data.len()) }
    }

    /// Reads at most `max` bytes at `offset` of a packed source archive (empty past its end).
    pub fn archive_read(&self, id: &ArchiveId, offset: u64, max: u64) -> Vec<u8> {
        let raw = archive_id_bytes(id);
        let mut out = HmBuf {
            ptr: core::ptr::null_mut(),
            len: 0,
        };
        // SAFETY: `raw` and `out` are live for the call.
        let status = unsafe { (self.host.archive_read)(self.ctx, &raw, offset, max, &mut out) };
        if status == HM_SOME {
            self.take(out)
        } else {
            Vec::new()
        }
    }

    /// The size in bytes of a packed source archive; 0 for an unknown id.
    pub fn archive_total_size(&self, id: &ArchiveId) -> u64 {
        let raw = archive_id_bytes(id);
        // SAFETY: `raw` is live for the call.
        unsafe { (self.host.archive_total_size)(self.ctx, &raw) }
    }

    /// Reads `<repo>/.harmont/<rel_path>`; `None` when missing or outside `.harmont/`.
    pub fn fs_read_config(&self, rel_path: &str) -> Option<Vec<u8>> {
        let mut out = HmBuf {
            ptr: core::ptr::null_mut(),
            len: 0,
        };
        // SAFETY: pointers come from a live &str and a live HmBuf.
        let status = unsafe {
            (self.host.fs_read_config)(self.ctx, rel_path.as_ptr(), rel_path.len(), &mut out)
        };
        (status == HM_SOME).then(|| self.take(out))
    }

    /// Copies a host-allocated buffer and hands it back to the host's `free`.
    fn take(&self, buf: HmBuf) -> Vec<u8> {
        if buf.ptr.is_null() {
            return Vec::new();
        }
        // SAFETY: the host returned `len` readable bytes at `ptr`, ours until we free them.
        let bytes = unsafe { core::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec();
        // SAFETY: freed exactly once, with the allocator's own function.
        unsafe { (self.host.free)(buf.ptr, buf.len) };
        bytes
    }
}

fn archive_id_bytes(id: &ArchiveId) -> [u8; 16] {
    let bytes = borsh::to_vec(id).expect("an ArchiveId always encodes");
    bytes
        .try_into()
        .expect("an ArchiveId is 16 bytes on the wire")
}
