"""Raises ValueError: Deno installs its own dependencies."""

from __future__ import annotations

import harmont as hm

hm.js.project(runtime="deno", pm="npm")
