"""Node running bun as its package manager."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-bun", runtime="node", pm="bun", version="22")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
