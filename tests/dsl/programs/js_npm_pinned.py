"""packageManager npm@...: npm, which needs no bootstrap."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-npm-pinned")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
