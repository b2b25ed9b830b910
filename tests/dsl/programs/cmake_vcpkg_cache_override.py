"""cache= wins over the vcpkg default."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path="fixtures/cmake", deps="vcpkg", cache=hm.forever())
PIPELINE = hm.pipeline([proj.build()])
