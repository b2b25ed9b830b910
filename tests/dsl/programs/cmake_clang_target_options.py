"""clang-18, one target, and the actions' own options."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path="fixtures/cmake", compiler="clang-18", target="app")
PIPELINE = hm.pipeline(
    [
        proj.test(parallel=False),
        proj.install(prefix="/opt/app"),
        proj.package(generator="TGZ", label="tarball"),
        proj.fmt(fix=True, env={"CLANG_FORMAT_STYLE": "file"}),
    ]
)
