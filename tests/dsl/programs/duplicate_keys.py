"""Explicit keys that repeat are rendered as given; builds_in points at the first holder."""

from __future__ import annotations

import harmont as hm

first = hm.sh("make one", key="same", cache=hm.forever())
second = hm.sh("make two", key="same", cache=hm.forever())
child = second.sh("make three", cache=hm.forever())

PIPELINE = hm.pipeline([first, child])
