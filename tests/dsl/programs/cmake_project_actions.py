"""hm.cmake(path=...) and every project action."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path="fixtures/cmake")
PIPELINE = hm.pipeline(
    [proj.build(), proj.test(), proj.lint(), proj.fmt(), proj.install(), proj.package()]
)
