"""hm.cmake() without path, shared by two projects."""

from __future__ import annotations

import harmont as hm

tc = hm.cmake(compiler="clang")
a = tc.project(path="fixtures/cmake")
b = tc.project(path="fixtures/cmake/sub", target="lib", cache=hm.on_change("fixtures/cmake/sub"))
PIPELINE = hm.pipeline([a.test(), b.test(), a.fmt()])
