"""packageManager yarn@1...: yarn classic, pinned."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-yarn-classic-pinned")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
