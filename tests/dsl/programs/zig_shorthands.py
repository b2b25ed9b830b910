"""The one-call forms of hm.zig."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline(
    [
        hm.zig.build(),
        hm.zig.test(path="fixtures/zig", version="0.14.0"),
        hm.zig.fmt(label="fmt", image="alpine:3"),
    ]
)
