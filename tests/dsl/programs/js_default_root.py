"""No package.json and no lock file: Node with npm."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project()
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
