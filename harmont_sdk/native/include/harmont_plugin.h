/*
 * harmont_plugin.h: the C ABI between `hm` and a native plugin.
 *
 * This header is the whole contract, defined once; the Rust SDK crate
 * (harmont_sdk/native/rust/harmont-plugin) and the Python host
 * (harmont/_plugins/_native_abi.py) mirror it field for field.
 *
 * 1. The entry symbol
 * -------------------
 * A plugin is a shared library (.so, .dylib, .dll) that exports exactly one
 * symbol the host looks up, HM_PLUGIN_ENTRY_SYMBOL ("hm_plugin_entry_v1"):
 *
 *     const hm_plugin *hm_plugin_entry_v1(uint32_t host_api_version);
 *
 * The "_v1" suffix is the version of this C layout. A future layout gets a
 * new symbol, so an old host never calls a new plugin through the wrong
 * signature: it simply does not find the symbol. The host calls the entry
 * once per load, passing the wire protocol version it speaks
 * (HM_PLUGIN_API_VERSION). The plugin returns a pointer to a table that
 * stays valid and unchanged until the library is unloaded (a static const
 * table is the usual choice), or NULL to refuse to load.
 *
 * 2. The api-version peek
 * -----------------------
 * The first field of hm_plugin is the wire protocol version the plugin was
 * built for. The host reads it, and nothing else, before any other use of
 * the table: if it differs from the host's HM_PLUGIN_API_VERSION the plugin
 * is reported as broken ("api_version mismatch (plugin: 9999, host: 2)")
 * and none of its functions is ever called, so a plugin built against an
 * incompatible payload layout cannot be fed bytes it would misread. The
 * second field, struct_size, lets later minor revisions append fields.
 *
 * 3. Payloads
 * -----------
 * Every structured value crossing the boundary is borsh-encoded, with the
 * field orders and variant indexes of the harmont protocol (docs/protocol.md):
 * a Rust plugin derives them with the borsh crate; a C plugin writes them
 * by hand (see examples/plugins/native-c). Plugin functions take the input
 * payload as (ptr, len) and write their result into an hm_buf:
 *
 *   return HM_OK   the buffer holds the Ok payload (PluginManifest,
 *                  StepResult, HookOutcome or ExitInfo);
 *   return HM_ERR  the buffer holds a borsh PluginError {code, message,
 *                  doc_url?}; the host raises it with that code.
 *
 * Any other return value, or a payload that does not decode, is reported
 * as an error of that plugin; it never takes the host down. The reserved
 * error codes are "not_implemented" (the plugin does not provide this
 * capability) and "deserialize" (the input payload did not decode). A
 * capability the plugin does not provide may also be a NULL pointer.
 *
 * 4. Buffer ownership: whoever allocates a buffer frees it
 * ---------------------------------------------------------
 * - Input pointers passed to a function are owned by the caller and valid
 *   only until the function returns; copy what you keep.
 * - A buffer a plugin function returns in its hm_buf is allocated by the
 *   plugin; the host hands it back to hm_plugin.free exactly once (never
 *   for a zero-length buffer with a NULL ptr).
 * - A buffer a host function returns in an hm_buf (kv_get, archive_read,
 *   fs_read_config) is allocated by the host; the plugin hands it back to
 *   hm_host.free exactly once (a NULL ptr needs no free).
 *
 * 5. The per-call context
 * -----------------------
 * execute_step, on_hook_event and run_subcommand receive an hm_ctx. It
 * tells the host which plugin, run and step a host call serves, so step
 * logs and KV keys are attributed to the right step. Its `host` field is
 * the table of host functions; pass the same ctx pointer back as their
 * first argument. A ctx is valid from the start of the call until the
 * call returns; it may be used from any thread the plugin starts during
 * that time (join them before returning), never after.
 *
 * 6. Threading
 * ------------
 * The host may call a plugin's functions from several threads at once,
 * including the same function with different contexts: a plugin must be
 * thread-safe. Host functions are safe to call from any thread, at the
 * same time. The host releases its own interpreter lock around plugin
 * calls, so a long call does not stall the rest of the build.
 *
 * 7. Host function results
 * ------------------------
 * Host functions never abort the plugin. Those that can fail return an
 * int32_t: HM_SOME (1) a value was written to `out`, HM_NONE (0) there is
 * no value (or, for functions without output, the call succeeded), and
 * HM_EINVAL (-1) the arguments were rejected (an unknown scope byte, a key
 * that is not UTF-8, an event that does not decode) and nothing happened.
 */
#ifndef HARMONT_PLUGIN_H
#define HARMONT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The wire protocol version (docs/protocol.md, Versioning): bumped on any new required
 * field in any wire struct. */
#define HM_PLUGIN_API_VERSION 2u

/* The one symbol the host looks up, and its name as a string. */
#define HM_PLUGIN_ENTRY hm_plugin_entry_v1
#define HM_PLUGIN_ENTRY_SYMBOL "hm_plugin_entry_v1"

/* Return values of plugin functions. */
#define HM_OK 0
#define HM_ERR 1

/* Return values of host functions. */
#define HM_SOME 1
#define HM_NONE 0
#define HM_EINVAL (-1)

/* The byte values of the small enums (docs/protocol.md). */
enum hm_level { HM_LEVEL_TRACE = 0, HM_LEVEL_DEBUG = 1, HM_LEVEL_INFO = 2, HM_LEVEL_WARN = 3, HM_LEVEL_ERROR = 4 };
enum hm_kv_scope { HM_KV_PLUGIN = 0, HM_KV_BUILD = 1, HM_KV_STEP = 2 };
enum hm_stream { HM_STDOUT = 0, HM_STDERR = 1 };

/* The variant index of each ArgSpec of a SubcommandSpec's args. A positional
 * list takes every remaining word and arrives in SubcommandInput.args as an
 * Array, possibly empty; it must be the verb's last positional, on a verb
 * without sub-verbs. Its fields: name (string), help (option<string>),
 * value_type (u8). It was appended, so manifests without it are unchanged and
 * HM_PLUGIN_API_VERSION stayed 2. An optional positional or option that was
 * not given is absent from args (never Null). */
enum hm_arg_kind {
    HM_ARG_POSITIONAL = 0,
    HM_ARG_OPTION = 1,
    HM_ARG_FLAG = 2,
    HM_ARG_POSITIONAL_LIST = 3
};

/* Marks the entry symbol as exported from the shared library. */
#if defined(_WIN32)
#define HM_EXPORT __declspec(dllexport)
#else
#define HM_EXPORT __attribute__((visibility("default")))
#endif

/* A byte buffer handed from callee to caller; see "Buffer ownership". */
typedef struct hm_buf {
    uint8_t *ptr;
    size_t len;
} hm_buf;

typedef struct hm_host hm_host;

/* The per-call context; see "The per-call context". `host_data` belongs to
 * the host: a plugin must not read or change it. */
typedef struct hm_ctx {
    const hm_host *host;
    void *host_data;
} hm_ctx;

/* The functions the host offers a plugin during a call (docs/plugins.md). Every
 * string argument is UTF-8 bytes with an explicit length, not
 * NUL-terminated. */
struct hm_host {
    /* HM_PLUGIN_API_VERSION of the host, and sizeof(hm_host). */
    uint32_t api_version;
    uint32_t struct_size;

    /* Log `message` at `level` (enum hm_level) under the plugin's name; shown with `hm -v`. */
    void (*log)(const hm_ctx *ctx, uint8_t level, const uint8_t *message, size_t message_len);

    /* Read a key of `scope` (enum hm_kv_scope). HM_SOME: `out` holds the value (host-allocated). */
    int32_t (*kv_get)(const hm_ctx *ctx, uint8_t scope, const uint8_t *key, size_t key_len,
                      hm_buf *out);

    /* Write a key of `scope`; plugin scope persists across runs, build and step scope do not. */
    int32_t (*kv_set)(const hm_ctx *ctx, uint8_t scope, const uint8_t *key, size_t key_len,
                      const uint8_t *value, size_t value_len);

    /* Publish a borsh BuildEvent on the run's event stream. */
    int32_t (*emit_event)(const hm_ctx *ctx, const uint8_t *event, size_t event_len);

    /* Send a chunk of the current step's output (enum hm_stream); the host splits lines. */
    void (*emit_step_log)(const hm_ctx *ctx, uint8_t stream, const uint8_t *data, size_t data_len);

    /* 1 once the run is cancelled (Ctrl-C, fail-fast), else 0; poll it during long work. */
    int32_t (*should_cancel)(const hm_ctx *ctx);

    /* Write bytes to hm's own stdout / stderr (user-facing output of a subcommand). */
    void (*write_stdout)(const hm_ctx *ctx, const uint8_t *data, size_t data_len);
    void (*write_stderr)(const hm_ctx *ctx, const uint8_t *data, size_t data_len);

    /* Read at most `max` bytes at `offset` of the packed source archive `archive_id` (16 raw
     * UUID bytes). HM_SOME: `out` holds them (empty past the end or for an unknown id). */
    int32_t (*archive_read)(const hm_ctx *ctx, const uint8_t archive_id[16], uint64_t offset,
                            uint64_t max, hm_buf *out);

    /* The archive's size in bytes; 0 for an unknown id. */
    uint64_t (*archive_total_size)(const hm_ctx *ctx, const uint8_t archive_id[16]);

    /* Read `<repo>/.harmont/<rel_path>`. HM_SOME: `out` holds the bytes; HM_NONE when the file
     * is missing, unreadable or outside `.harmont/`. */
    int32_t (*fs_read_config)(const hm_ctx *ctx, const uint8_t *rel_path, size_t rel_path_len,
                              hm_buf *out);

    /* Free a buffer a host function returned. */
    void (*free)(uint8_t *ptr, size_t len);
};

/* The plugin's side of the contract, returned by the entry symbol. */
typedef struct hm_plugin {
    /* Read first, before anything else: see "The api-version peek". */
    uint32_t api_version;
    /* sizeof(hm_plugin). */
    uint32_t struct_size;

    /* Write the borsh PluginManifest. Called once per load, with no context. */
    int32_t (*manifest)(hm_buf *out);

    /* ExecutorInput -> StepResult. */
    int32_t (*execute_step)(const hm_ctx *ctx, const uint8_t *input, size_t input_len, hm_buf *out);

    /* HookEvent -> HookOutcome. */
    int32_t (*on_hook_event)(const hm_ctx *ctx, const uint8_t *input, size_t input_len, hm_buf *out);

    /* SubcommandInput -> ExitInfo. */
    int32_t (*run_subcommand)(const hm_ctx *ctx, const uint8_t *input, size_t input_len,
                              hm_buf *out);

    /* Free a buffer one of the functions above returned. */
    void (*free)(uint8_t *ptr, size_t len);
} hm_plugin;

/* The entry point every plugin defines; see "The entry symbol". */
HM_EXPORT const hm_plugin *HM_PLUGIN_ENTRY(uint32_t host_api_version);

#ifdef __cplusplus
}
#endif

#endif /* HARMONT_PLUGIN_H */
