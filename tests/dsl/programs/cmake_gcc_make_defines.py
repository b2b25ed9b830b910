"""gcc-14 with make, no ccache, and -D definitions."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(
    path="fixtures/cmake",
    compiler="gcc-14",
    generator="make",
    ccache=False,
    defines={"CMAKE_BUILD_TYPE": "Release", "BUILD_TESTING": "ON"},
)
PIPELINE = hm.pipeline([proj.test(), proj.fmt()])
