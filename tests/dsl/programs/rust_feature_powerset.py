"""feature_powerset() from a project and from a toolchain, with every option."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-crate")
tc = hm.rust.toolchain(path="fixtures/rust-workspace", version="nightly")
PIPELINE = hm.pipeline(
    [
        proj.feature_powerset(),
        tc.feature_powerset(
            each_feature=True,
            skip=("default", "odd name"),
            include_features=("a", "b"),
            keep_going=True,
            subcommand="test",
            no_dev_deps=False,
            flags=("--exclude-no-default-features",),
            label="hack",
        ),
        tc.feature_powerset(depth=3),
    ]
)
