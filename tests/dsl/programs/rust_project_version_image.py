"""A pinned version, an image and fewer components."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(
    path="fixtures/rust-crate", version="1.80.0", image="rust:1.80", components=("clippy",)
)
PIPELINE = hm.pipeline([proj.test(), proj.clippy()])
