"""hm.zig(path=...) and every action."""

from __future__ import annotations

import harmont as hm

proj = hm.zig(path="fixtures/zig")
PIPELINE = hm.pipeline([proj.build(), proj.test(), proj.fmt()])
