"""hm.zig(base=...) with step options."""

from __future__ import annotations

import harmont as hm

proj = hm.zig(path="fixtures/zig", base=hm.apt_base(packages=("xz-utils",)))
PIPELINE = hm.pipeline([proj.test(key="zt", cache=hm.on_change("fixtures/zig/build.zig"))])
