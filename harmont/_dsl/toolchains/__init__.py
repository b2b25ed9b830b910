"""
The toolchain helpers (``hm.rust``, ``hm.js``, ``hm.cmake``...): whole install chains and the
usual CI actions of a language, one module per toolchain, all built on :mod:`._chain`.

Their steps install toolchains from the network (rustup, NodeSource, ziglang.org...), so
they run with the docker runner on an image that can reach those hosts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harmont._dsl.toolchains._chain import apt_base as apt_base
from harmont._dsl.toolchains.cmake import CMakeProject as CMakeProject
from harmont._dsl.toolchains.cmake import CMakeToolchain as CMakeToolchain
from harmont._dsl.toolchains.cmake import cmake as cmake
from harmont._dsl.toolchains.elixir import ElixirProject as ElixirProject
from harmont._dsl.toolchains.elixir import elixir as elixir
from harmont._dsl.toolchains.go import GoToolchain as GoToolchain
from harmont._dsl.toolchains.go import go as go
from harmont._dsl.toolchains.js import JsProject as JsProject
from harmont._dsl.toolchains.js import js as js
from harmont._dsl.toolchains.js import ts as ts
from harmont._dsl.toolchains.python import PythonToolchain as PythonToolchain
from harmont._dsl.toolchains.python import UvProject as UvProject
from harmont._dsl.toolchains.python import python as python
from harmont._dsl.toolchains.python import uv as uv
from harmont._dsl.toolchains.rust import RustProject as RustProject
from harmont._dsl.toolchains.rust import RustToolchain as RustToolchain
from harmont._dsl.toolchains.rust import rust as rust
from harmont._dsl.toolchains.zig import ZigProject as ZigProject
from harmont._dsl.toolchains.zig import ZigToolchain as ZigToolchain
from harmont._dsl.toolchains.zig import zig as zig

if TYPE_CHECKING:
    from harmont._dsl._step import Step

__all__ = [
    "CMakeProject",
    "CMakeToolchain",
    "ElixirProject",
    "GoToolchain",
    "JsProject",
    "PythonToolchain",
    "RustProject",
    "RustToolchain",
    "UvProject",
    "ZigProject",
    "ZigToolchain",
    "apt_base",
    "cmake",
    "default_leaves",
    "elixir",
    "go",
    "js",
    "python",
    "rust",
    "ts",
    "uv",
    "zig",
]


def default_leaves(value: object) -> tuple[Step, ...] | None:
    """
    The leaves a pipeline function means by returning a toolchain object, else ``None``.

    A Rust project means its ``ci()`` trio (test, clippy, fmt), a Rust toolchain its build,
    a JS project its dependency install, a uv project its tests.
    """
    if isinstance(value, RustProject):
        return (value.test(), value.clippy(), value.fmt())
    if isinstance(value, RustToolchain):
        return (value.build(),)
    if isinstance(value, JsProject):
        return (value.install(),)
    if isinstance(value, UvProject):
        return (value.test(),)
    return None
