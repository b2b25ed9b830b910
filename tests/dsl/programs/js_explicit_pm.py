"""pm= skips detection, version pins included."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-pnpm", pm="pnpm")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
