"""hm.rust.project() with every default, and its ci() leaves."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline(list(proj.ci()))
