"""doctest() of one package; clippy() with and without denied warnings."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-workspace")
PIPELINE = hm.pipeline(
    [
        proj.doctest(packages=("core",)),
        proj.clippy(deny_warnings=False, extra_lints=("-W clippy::pedantic",)),
        proj.clippy(all_targets=False, features=("f",), key="clippy-f"),
        proj.clippy(deny_warnings=False, target="aarch64-apple-darwin"),
    ]
)
