"""Raises ValueError: deno is no package manager."""

from __future__ import annotations

import harmont as hm

hm.js.project(pm="deno")
