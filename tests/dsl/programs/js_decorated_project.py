"""A pipeline function returning a JS project means its dependency install."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("web")
def web() -> object:
    return [hm.js.project(path="fixtures/js-pnpm"), hm.ts.project(path="fixtures/js-deno")]
