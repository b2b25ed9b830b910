//! What [`hm_plugin!`](crate::hm_plugin) expands to calls; not a public API.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::abi::{HmBuf, HmCtx, HM_ERR, HM_OK};
use crate::protocol::{PluginError, PluginManifest};
use crate::PluginContext;

fn error(code: &str, message: String) -> PluginError {
    PluginError {
        code: code.to_owned(),
        message,
        doc_url: None,
    }
}

/// Hands `bytes` to the caller through `out`; [`free`] takes them back.
///
/// # Safety
/// `out` must point to a writable `HmBuf`.
unsafe fn give(out: *mut HmBuf, bytes: Vec<u8>) {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    let ptr = Box::into_raw(boxed).cast::<u8>();
    out.write(HmBuf { ptr, len });
}

unsafe fn give_result<T: BorshSerialize>(out: *mut HmBuf, result: Result<T, PluginError>) -> i32 {
    match result.map(|value| borsh::to_vec(&value)) {
        Ok(Ok(bytes)) => {
            give(out, bytes);
            HM_OK
        }
        Ok(Err(exc)) => {
            let failure = error("serialize", format!("could not encode the result: {exc}"));
            give(
                out,
                borsh::to_vec(&failure).expect("a PluginError always encodes"),
            );
            HM_ERR
        }
        Err(failure) => {
            give(
                out,
                borsh::to_vec(&failure).expect("a PluginError always encodes"),
            );
            HM_ERR
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "the plugin panicked".to_owned()
    }
}

/// `hm_plugin.free` of every SDK plugin.
///
/// # Safety
/// `ptr`/`len` must come from a buffer this crate handed out, freed once.
pub unsafe extern "C" fn free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        drop(Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)));
    }
}

/// `hm_plugin.manifest`: encodes the manifest once, then hands out copies.
///
/// # Safety
/// `out` must point to a writable `HmBuf`.
pub unsafe fn manifest(
    out: *mut HmBuf,
    cache: &OnceLock<Result<Vec<u8>, PluginError>>,
    build: fn() -> PluginManifest,
) -> i32 {
    let encoded = cache.get_or_init(|| {
        catch_unwind(build)
            .map_err(|payload| error("panic", panic_message(payload.as_ref())))
            .map(|manifest| borsh::to_vec(&manifest).expect("a PluginManifest always encodes"))
    });
    match encoded {
        Ok(bytes) => {
            give(out, bytes.clone());
            HM_OK
        }
        Err(failure) => give_result::<()>(out, Err(failure.clone())),
    }
}

/// A capability call: decode the input, run `call` with panics caught, encode the result.
///
/// # Safety
/// The arguments must be those the host passed to the plugin function.
pub unsafe fn call<I, O>(
    ctx: *const HmCtx,
    input: *const u8,
    input_len: usize,
    out: *mut HmBuf,
    call: impl FnOnce(&PluginContext<'_>, I) -> Result<O, PluginError>,
) -> i32
where
    I: BorshDeserialize,
    O: BorshSerialize,
{
    let result = catch_unwind(AssertUnwindSafe(|| {
        let bytes: &[u8] = if input_len == 0 {
            &[]
        } else {
            core::slice::from_raw_parts(input, input_len)
        };
        let decoded = borsh::from_slice::<I>(bytes)
            .map_err(|exc| error("deserialize", format!("could not decode the input: {exc}")))?;
        call(&PluginContext::from_raw(ctx), decoded)
    }));
    let result =
        result.unwrap_or_else(|payload| Err(error("panic", panic_message(payload.as_ref()))));
    give_result(out, result)
}

/// A capability the plugin does not provide.
///
/// # Safety
/// `out` must point to a writable `HmBuf`.
pub unsafe extern "C" fn not_implemented(
    _ctx: *const HmCtx,
    _input: *const u8,
    _input_len: usize,
    out: *mut HmBuf,
) -> i32 {
    let failure = error(
        "not_implemented",
        "this plugin does not implement this capability".to_owned(),
    );
    give_result::<()>(out, Err(failure))
}
