"""yarn.lock alone: yarn classic."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-yarn-classic")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
