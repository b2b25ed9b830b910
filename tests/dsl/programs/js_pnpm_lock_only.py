"""pnpm-lock.yaml alone: pnpm through corepack, cached forever."""

from __future__ import annotations

import harmont as hm

proj = hm.js.project(path="fixtures/js-pnpm-lock-only")
PIPELINE = hm.pipeline([proj.install(), proj.run("test")])
