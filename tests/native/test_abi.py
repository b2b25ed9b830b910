"""The C ABI is defined once: the header, the ctypes mirror and the adapter agree."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

from harmont import hookspecs
from harmont._plugins import _native_abi
from harmont._plugins._native import NativePlugin
from harmont.protocol import API_VERSION

HEADER = (
    Path(__file__).resolve().parents[2] / "harmont_sdk" / "native" / "include" / "harmont_plugin.h"
).read_text()


def _members(struct: str) -> list[str]:
    """The member names of ``struct <struct> { ... }`` in the header, in order."""
    body = re.search(rf"struct {struct} \{{(.*?)\n\}}", HEADER, re.S)
    assert body is not None
    text = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S)
    return [fn or field for fn, field in re.findall(r"\(\*(\w+)\)|(\w+);", text)]


def _parameters(function: object) -> tuple[str, ...]:
    """Parameter names as pluggy reads them: from the code object, without ``self``."""
    code = function.__code__  # type: ignore[attr-defined]
    names = code.co_varnames[: code.co_argcount]
    return tuple(n for n in names if n != "self")


class TestHeader:
    def test_versions_and_entry_symbol_match_the_header(self) -> None:
        """The header's API version and entry symbol are the host's."""
        assert f"#define HM_PLUGIN_API_VERSION {API_VERSION}u" in HEADER
        assert f'#define HM_PLUGIN_ENTRY_SYMBOL "{_native_abi.ENTRY_SYMBOL}"' in HEADER
        assert API_VERSION == _native_abi.API_VERSION

    def test_host_table_mirrors_hm_host(self) -> None:
        """The ctypes hm_host has the header's members, in the header's order."""
        assert _members("hm_host") == [name for name, _ in _native_abi._Host._fields_]

    def test_plugin_table_mirrors_hm_plugin(self) -> None:
        """The ctypes hm_plugin has the header's members, in the header's order."""
        assert _members("hm_plugin") == [name for name, _ in _native_abi._Plugin._fields_]

    def test_context_and_buffer_mirror_the_header(self) -> None:
        """hm_ctx and hm_buf have the header's members and two pointer-sized fields."""
        assert ["host", "host_data"] == _members("hm_ctx")
        assert ["ptr", "len"] == _members("hm_buf")
        assert 2 * ctypes.sizeof(ctypes.c_void_p) == ctypes.sizeof(_native_abi._Ctx)


class TestAdapterHooks:
    def test_every_capability_hookspec_has_an_impl_with_its_parameter_names(self) -> None:
        """pluggy binds by parameter name, so each adapter hook repeats the spec's names."""
        native_specs = {
            "hm_plugin_manifest",
            "hm_execute_step",
            "hm_on_hook_event",
            "hm_run_subcommand",
        }
        for name in native_specs:
            spec = getattr(hookspecs, name)
            impl = getattr(NativePlugin, name)

            assert _parameters(spec) == _parameters(impl)
        # Every other spec is one the C ABI has no call for (documented in hookspecs).
        others = {n for n in dir(hookspecs) if n.startswith("hm_")} - native_specs
        assert {"hm_check_runner", "hm_open_shell", "hm_snapshot_exists"} == others
