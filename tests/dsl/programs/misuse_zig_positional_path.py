"""Raises TypeError: hm.zig takes keywords only."""

from __future__ import annotations

import harmont as hm

hm.zig("fixtures/zig")
