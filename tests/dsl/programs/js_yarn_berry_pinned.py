"""packageManager yarn@4...: yarn berry, pinned."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-yarn-berry")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
