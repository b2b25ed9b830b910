"""Toolchain actions default to no --workspace; passing it adds the flag."""

from __future__ import annotations

import harmont as hm

tc = hm.rust.toolchain(path="fixtures/rust-workspace", image="rust:slim")
PIPELINE = hm.pipeline(
    [
        tc.build(workspace=True, exclude=("cli",)),
        tc.test(workspace=True, nextest=True),
        tc.doc(workspace=True, packages=("core",)),
    ]
)
