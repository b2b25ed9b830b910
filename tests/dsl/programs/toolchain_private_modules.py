"""Type names import from harmont._rust, _python, _go, _js, _zig and _cmake, as 0.0.9 files do."""

from __future__ import annotations

import harmont as hm
from harmont._cmake import CMakeProject, CMakeToolchain
from harmont._go import GoToolchain
from harmont._js import JsProject
from harmont._python import PythonToolchain
from harmont._rust import RustProject, RustToolchain
from harmont._zig import ZigProject, ZigToolchain

checks = [
    isinstance(hm.rust.project(), RustProject),
    isinstance(hm.rust.toolchain(), RustToolchain),
    isinstance(hm.cmake(), CMakeToolchain),
    isinstance(hm.cmake(path="."), CMakeProject),
    isinstance(hm.go(), GoToolchain),
    isinstance(hm.js.project(), JsProject),
    isinstance(hm.python(), PythonToolchain),
    isinstance(hm.zig(), ZigToolchain),
    isinstance(hm.zig(path="."), ZigProject),
    hm.RustProject is RustProject,
    hm.JsProject is JsProject,
    hm.CMakeProject is CMakeProject,
    hm.ts is hm.js,
]
OUTPUT = repr(checks)
