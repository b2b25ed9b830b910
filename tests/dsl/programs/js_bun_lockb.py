"""bun.lockb: the Bun runtime with bun."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-bunb")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
