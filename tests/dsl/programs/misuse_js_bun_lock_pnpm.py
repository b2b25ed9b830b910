"""Raises ValueError: a bun.lock (Bun) with packageManager pnpm."""

from __future__ import annotations

import harmont as hm

hm.js.project(path="fixtures/js-bun-lock-pnpm")
