"""hm.zig() shared by several projects, an old release's tarball name."""

from __future__ import annotations

import harmont as hm

tc = hm.zig(version="0.13.0")
PIPELINE = hm.pipeline(
    [
        tc.project("fixtures/zig").test(),
        tc.project(path="fixtures/zig/lib-a").test(),
        tc.project().build(),
    ]
)
