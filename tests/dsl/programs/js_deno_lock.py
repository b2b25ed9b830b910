"""deno.lock: the Deno runtime and its own installs."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-deno")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
