"""engines.node with a Node version; an unparsable yarn pin reads as classic."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-node-engines", version="20.x")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
