"""pm='yarn-berry' without a pin."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-yarn-berry", pm="yarn-berry")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
