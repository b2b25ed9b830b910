"""Raises ValueError: a Bun version without a minor."""

from __future__ import annotations

import harmont as hm

hm.js.project(runtime="bun", version="1")
