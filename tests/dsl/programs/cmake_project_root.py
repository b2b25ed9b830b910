"""A project at the repository root watches CMakeLists.txt unprefixed."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path=".")
PIPELINE = hm.pipeline([proj.test()])
