/*
 * A native harmont plugin in plain C, using only harmont_plugin.h.
 *
 * It offers the verb `hm c-hello` and the runner `c-true` (every step succeeds
 * without running anything). The borsh payloads are written by hand: integers are
 * little-endian, strings are a u32 length and the bytes, an enum is its variant index
 * followed by its fields (docs/protocol.md).
 */
#include <stdlib.h>
#include <string.h>

#include "harmont_plugin.h"

/* A growable borsh writer. */
typedef struct { uint8_t *ptr; size_t len, cap; } writer;

static void put(writer *w, const void *data, size_t len) {
    if (w->len + len > w->cap) {
        w->cap = (w->len + len) * 2;
        w->ptr = realloc(w->ptr, w->cap);
        if (w->ptr == NULL) abort();
    }
    memcpy(w->ptr + w->len, data, len);
    w->len += len;
}
static void put_u8(writer *w, uint8_t v) { put(w, &v, 1); }
static void put_u32(writer *w, uint32_t v) {
    uint8_t le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
    put(w, le, 4);
}
static void put_str(writer *w, const char *s) { put_u32(w, (uint32_t)strlen(s)); put(w, s, strlen(s)); }
static int32_t finish(writer *w, hm_buf *out, int32_t status) {
    out->ptr = w->ptr;
    out->len = w->len;
    return status;
}

static int32_t manifest(hm_buf *out) {
    writer w = {0};
    put_u32(&w, HM_PLUGIN_API_VERSION);
    put_str(&w, "hm-c-hello");
    put_str(&w, "0.1.0");
    put_str(&w, "A native plugin written in C");
    put_u32(&w, 2);                     /* capabilities: two */
    put_u8(&w, 0);                      /* Capability::Subcommand */
    put_str(&w, "c-hello");             /*   verb */
    put_str(&w, "Say hello from C");    /*   about */
    put_u32(&w, 0);                     /*   args: none */
    put_u32(&w, 0);                     /*   subcommands: none */
    put_u8(&w, 1);                      /* Capability::StepExecutor */
    put_str(&w, "c-true");              /*   runner */
    put_u8(&w, 0);                      /*   default: false */
    put_u8(&w, 0);                      /*   step_schema: None */
    put_u8(&w, 0);                      /* config_schema: None */
    return finish(&w, out, HM_OK);
}

static int32_t execute_step(const hm_ctx *ctx, const uint8_t *in, size_t in_len, hm_buf *out) {
    static const char line[] = "c-true: nothing to do\n";
    writer w = {0};
    (void)in, (void)in_len;
    ctx->host->emit_step_log(ctx, HM_STDOUT, (const uint8_t *)line, sizeof line - 1);
    put_u32(&w, 0);                     /* StepResult.exit_code */
    put_u8(&w, 0);                      /* committed_snapshot: None */
    put_u32(&w, 0);                     /* artifacts: none */
    return finish(&w, out, HM_OK);
}

static int32_t run_subcommand(const hm_ctx *ctx, const uint8_t *in, size_t in_len, hm_buf *out) {
    /* The input is a borsh SubcommandInput; a verb without arguments can ignore it. */
    static const char greeting[] = "hello from C\n";
    writer w = {0};
    (void)in, (void)in_len;
    ctx->host->write_stdout(ctx, (const uint8_t *)greeting, sizeof greeting - 1);
    put_u32(&w, 0);                     /* ExitInfo.exit_code */
    put_u8(&w, 0);                      /* message: None */
    return finish(&w, out, HM_OK);
}

static void release(uint8_t *ptr, size_t len) { (void)len; free(ptr); }

static const hm_plugin PLUGIN = {
    HM_PLUGIN_API_VERSION, sizeof(hm_plugin), manifest, execute_step, NULL, run_subcommand, release,
};

HM_EXPORT const hm_plugin *HM_PLUGIN_ENTRY(uint32_t host_api_version) {
    (void)host_api_version;
    return &PLUGIN;
}
