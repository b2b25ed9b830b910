"""Actions pass key, cache, image, cwd and env on to the step."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline(
    [
        proj.test(key="unit", cache=hm.on_change("Cargo.lock"), cwd="sub"),
        proj.build(image="ignored:1", env={"CARGO_INCREMENTAL": "0"}),
    ]
)
