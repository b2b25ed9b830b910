"""A newer release on a given image."""

from __future__ import annotations

import harmont as hm

proj = hm.zig(path=".", version="0.15.1", image="debian:12")
PIPELINE = hm.pipeline(
    [proj.build(label="zig build"), proj.fmt(env={"ZIG_GLOBAL_CACHE_DIR": "/tmp/zig"})]
)
