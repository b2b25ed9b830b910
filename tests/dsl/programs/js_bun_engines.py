"""engines.bun wins over packageManager."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-bun-engines")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
