"""build() over the workspace minus a member, with a profile and no lock."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-workspace")
PIPELINE = hm.pipeline(
    [
        proj.build(
            workspace=True,
            exclude=("cli",),
            profile="dist",
            all_targets=True,
            locked=False,
            no_default_features=True,
        ),
        proj.build(workspace=False, features=("a",), no_default_features=True, label="narrow"),
    ]
)
