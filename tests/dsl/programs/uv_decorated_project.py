"""A pipeline function returning a uv project means its tests."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("py")
def py() -> object:
    return hm.py.uv(path="fixtures/python")
