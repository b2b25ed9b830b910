"""Raises TypeError: hm.python() is no pipeline leaf (hm.py.uv() is)."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> object:
    return hm.python()
