"""preset= configures with cmake --preset."""

from __future__ import annotations

import harmont as hm

proj = hm.cmake(path="fixtures/cmake", preset="ci", defines={"IGNORED": "1"})
PIPELINE = hm.pipeline([proj.test()])
