"""runtime='deno' with a release."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-deno", runtime="deno", version="1.44")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
