"""runtime='node' alone skips detection: npm."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-pnpm", runtime="node")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
