"""
How fast a step reaches an executor: execute_step calls per second through the registry.

Run ``python bench/plugin_calls.py [--seconds S]`` (each rate is measured for about S
seconds). It builds the native fixtures first, as the tests do and into their cargo target,
so after a test run there is nothing left to build. Subjects, each a runner that succeeds
at once without calling the host:

- a Python plugin (the baseline);
- the ``null-executor`` fixture loaded in process (ctypes);
- the same fixture isolated in a worker process.

Then it splits one in-process native call into encoding the ExecutorInput, the foreign
call itself, and decoding the StepResult, and compares the bare foreign call through
ctypes with the same call through cffi (ABI mode), with and without a callback into
Python (the C example's ``c-true`` runner calls ``emit_step_log`` once per step).
Every figure is printed as a ratio to the baseline of its table: the Python plugin, the
whole native call, the bare ctypes call without a callback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

REPO: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harmont import hookimpl  # noqa: E402 -- the repo must be importable first
from harmont._plugins._host import Host  # noqa: E402
from harmont._plugins._manager import Registry  # noqa: E402
from harmont._plugins._native import ContextHost, load_native  # noqa: E402
from harmont._plugins._native_abi import Library  # noqa: E402
from harmont.protocol import (  # noqa: E402
    API_VERSION,
    PluginManifest,
    StepExecutorSpec,
    StepResult,
    from_borsh,
    to_borsh,
)
from tests.native.support import executor_input  # noqa: E402
from tests.native_support import Built, build  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

#: Seconds each measurement runs for, unless ``--seconds`` says otherwise.
DURATION: Final = 2.0
#: The direction of the ratios of the calls/s tables, in their headers.
_FASTER: Final = "(x: calls/s over the baseline's; higher is faster)"


class PythonNull:
    """The Python twin of the null-executor fixture."""

    @hookimpl
    def hm_plugin_manifest(self) -> PluginManifest:
        return PluginManifest(
            api_version=API_VERSION,
            name="python-null",
            version="1.0.0",
            description="succeeds at once",
            capabilities=(StepExecutorSpec(runner="python-null", default=False),),
        )

    @hookimpl
    def hm_execute_step(self, context: object, executor_input: object) -> StepResult:
        return StepResult(exit_code=0)


class _Sink:
    """A host whose only call, emit_step_log, does nothing."""

    def emit_step_log(self, stream: int, data: bytes) -> None:
        del stream, data


def rate(call: Callable[[], object], duration: float = DURATION) -> float:
    """Calls per second of ``call`` over about ``duration`` seconds."""
    for _ in range(200):
        call()
    count = 0
    started = time.perf_counter()
    deadline = started + duration
    while time.perf_counter() < deadline:
        for _ in range(100):
            call()
        count += 100
    return count / (time.perf_counter() - started)


def cffi_rates(built: Built, duration: float) -> tuple[float, float] | None:
    """Bare execute_step calls/s through cffi: (null executor, c-true with a callback)."""
    try:
        import cffi
    except ImportError:
        return None
    ffi = cffi.FFI()
    ffi.cdef(
        """
        typedef struct { uint8_t *ptr; size_t len; } hm_buf;
        typedef struct hm_host hm_host;
        typedef struct { const hm_host *host; void *host_data; } hm_ctx;
        struct hm_host {
            uint32_t api_version; uint32_t struct_size;
            void *log, *kv_get, *kv_set, *emit_event;
            void (*emit_step_log)(const hm_ctx *, uint8_t, const uint8_t *, size_t);
            void *should_cancel, *write_stdout, *write_stderr, *archive_read;
            void *archive_total_size, *fs_read_config, *free;
        };
        typedef struct {
            uint32_t api_version; uint32_t struct_size;
            int32_t (*manifest)(hm_buf *);
            int32_t (*execute_step)(const hm_ctx *, const uint8_t *, size_t, hm_buf *);
            void *on_hook_event, *run_subcommand;
            void (*free)(uint8_t *, size_t);
        } hm_plugin;
        const hm_plugin *hm_plugin_entry_v1(uint32_t);
        """
    )
    payload = to_borsh(executor_input())

    @ffi.callback("void(const hm_ctx *, uint8_t, const uint8_t *, size_t)")
    def emit_step_log(ctx: object, stream: int, data: object, size: int) -> None:
        ffi.buffer(data, size)[:]

    host = ffi.new("struct hm_host *", {"api_version": API_VERSION, "emit_step_log": emit_step_log})
    ctx = ffi.new("hm_ctx *", {"host": host})
    rates = []
    for crate in ("null-executor", "hm_c_hello"):
        plugin = ffi.dlopen(str(built.path(crate))).hm_plugin_entry_v1(API_VERSION)
        out = ffi.new("hm_buf *")

        def call(plugin: object = plugin, out: object = out) -> None:
            plugin.execute_step(ctx, payload, len(payload), out)  # type: ignore[attr-defined]
            ffi.buffer(out.ptr, out.len)[:]  # type: ignore[attr-defined]
            plugin.free(out.ptr, out.len)  # type: ignore[attr-defined]

        rates.append(rate(call, duration))
    return rates[0], rates[1]


def _calls(name: str, calls_per_second: float, baseline: float) -> str:
    return f"  {name:<32}{calls_per_second:>12,.0f} calls/s  x{calls_per_second / baseline:.2f}"


def main() -> None:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=DURATION)
    duration = parser.parse_args().seconds
    built = build()
    host = Host.noop()
    sent = executor_input()

    registry = Registry(host=host)
    registry.register(PythonNull())
    registry.register(load_native(built.path("null-executor")))
    isolated = load_native(built.path("null-executor"), isolation="process")
    isolated_registry = Registry(host=host)
    isolated_registry.register(isolated)

    def through(registry: Registry, runner: str, plugin: str) -> Callable[[], object]:
        context = host.context(plugin, step_id=sent.step_id)
        return lambda: registry.execute_step(runner, context, sent)

    python = rate(through(registry, "python-null", "python-null"), duration)
    native = rate(through(registry, "null", "harmont-fixture-null"), duration)
    remote = rate(through(isolated_registry, "null", "harmont-fixture-null"), duration / 2)
    isolated.close()

    library = Library(built.path("null-executor"))
    raw = ContextHost(host.context("harmont-fixture-null"))
    payload = to_borsh(sent)
    _, answer = library.call("execute_step", raw, payload) or (0, b"")
    encode = rate(lambda: to_borsh(sent), duration)
    decode = rate(lambda: from_borsh(StepResult, answer), duration)
    foreign = rate(lambda: library.call("execute_step", raw, payload), duration)
    c_true = Library(built.path("hm_c_hello"))
    sink = _Sink()  # as cheap a callback as cffi's below: the crossing is what is measured
    foreign_callback = rate(
        lambda: c_true.call("execute_step", sink, payload),  # type: ignore[arg-type]
        duration,
    )

    print(f"execute_step through the registry ({len(payload)}-byte ExecutorInput) {_FASTER}:")
    print(_calls("python plugin (baseline)", python, python))
    print(_calls("native, in process", native, python))
    print(_calls("native, isolated", remote, python))
    per_call_us = 1e6 / native
    shares = {
        "encode ExecutorInput": 1e6 / encode,
        "foreign call (ctypes)": 1e6 / foreign,
        "decode StepResult": 1e6 / decode,
    }
    shares["registry, pluggy, context"] = per_call_us - sum(shares.values())
    print("one in-process native call (x: time over the whole call's; higher is slower):")
    for what, micros in {"whole call (baseline)": per_call_us, **shares}.items():
        print(f"  {what:<32}{micros:>12.2f} us       x{micros / per_call_us:.2f}")
    print(f"bare foreign call, ctypes vs cffi (ABI mode) {_FASTER}:")
    print(_calls("ctypes, no callback (baseline)", foreign, foreign))
    print(_calls("ctypes, one callback", foreign_callback, foreign))
    measured = cffi_rates(built, duration)
    if measured is None:
        print("  cffi is not installed: pip install cffi")
    else:
        print(_calls("cffi, no callback", measured[0], foreign))
        print(_calls("cffi, one callback", measured[1], foreign))


if __name__ == "__main__":
    main()
