"""test() under nextest, cross-compiled without adding the target, and in release."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline(
    [
        proj.test(
            nextest=True,
            all_features=True,
            target="x86_64-unknown-linux-musl",
            add_target=False,
            label="nextest",
        ),
        proj.test(release=True, env={"RUST_LOG": "debug"}),
        proj.test(target="wasm32-unknown-unknown"),
    ]
)
