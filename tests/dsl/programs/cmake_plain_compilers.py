"""Unversioned gcc and clang compilers."""

from __future__ import annotations

import harmont as hm

gcc = hm.cmake(path="fixtures/cmake", compiler="gcc")
clang = hm.cmake(path="fixtures/cmake/sub", compiler="clang", defines={})
PIPELINE = hm.pipeline([gcc.build(), clang.build()])
