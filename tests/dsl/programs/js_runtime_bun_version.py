"""runtime='bun' with a release."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-npm", runtime="bun", version="1.1.8")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
