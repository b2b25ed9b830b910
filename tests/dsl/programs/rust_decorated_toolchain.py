"""A pipeline function returning a Rust toolchain means its build."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("build")
def build() -> object:
    return hm.rust.toolchain(path="fixtures/rust-crate")
