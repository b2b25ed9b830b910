"""deps='vcpkg' inserts the vcpkg install and watches vcpkg.json."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path="fixtures/cmake", deps="vcpkg")
PIPELINE = hm.pipeline([proj.test(), proj.fmt()])
