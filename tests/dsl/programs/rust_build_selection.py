"""build() with packages, features, a target, release and flags."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-workspace")
PIPELINE = hm.pipeline(
    [
        proj.build(
            packages=("core", "my cli"),
            features=("serde", "tls"),
            target="aarch64-unknown-linux-gnu",
            release=True,
            flags=("--timings",),
        ),
    ]
)
