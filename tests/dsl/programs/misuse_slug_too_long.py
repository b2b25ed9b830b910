"""Raises ValueError: slugs are at most 64 characters."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("a" * 65)
def ci() -> hm.Step:
    return hm.sh("make")
