"""Raises ValueError: a Zig version without a patch."""

from __future__ import annotations

import harmont as hm

hm.zig(version="0.14")
