"""packageManager pnpm@...: corepack pins it, cached on package.json."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-pnpm")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
