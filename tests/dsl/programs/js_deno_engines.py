"""engines.deno: Deno."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-deno-engines")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
