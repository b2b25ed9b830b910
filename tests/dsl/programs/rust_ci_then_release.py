"""ci() leaves, a wait, then a release build."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline([*proj.ci(), hm.wait(), proj.build(release=True)], env={"CI": "1"})
