"""package-lock.json: npm."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-npm")
PIPELINE = hm.pipeline(
    [proj.install(), proj.run("test"), proj.run("lint", label="eslint", env={"CI": "true"})]
)
