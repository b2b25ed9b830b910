"""Raises ValueError: the Bun runtime installs with bun."""

from __future__ import annotations

import harmont as hm

hm.js.project(runtime="bun", pm="npm")
