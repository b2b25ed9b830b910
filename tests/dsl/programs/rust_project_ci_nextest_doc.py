"""ci(nextest=True, doc=True) adds doctest and doc leaves."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-workspace")
PIPELINE = hm.pipeline(list(proj.ci(nextest=True, doc=True)))
