"""Shared ancestors are emitted once, the same leaf twice is emitted once, equal steps twice."""

from __future__ import annotations

import harmont as hm

root = hm.sh("make deps", label="deps")
left = root.sh("make left")
right = root.sh("make right")
diamond_tip = left.sh("make tip")
twin_a = hm.sh("make twin")
twin_b = hm.sh("make twin")

PIPELINE = hm.pipeline((diamond_tip, right, diamond_tip, left, twin_a, twin_b))
