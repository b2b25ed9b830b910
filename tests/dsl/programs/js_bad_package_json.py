"""An unreadable package.json says nothing; the lock file decides."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-bad-json")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
