"""Raises TypeError: a slug must be a string."""

from __future__ import annotations

import harmont as hm


@hm.pipeline(42)
def ci() -> hm.Step:
    return hm.sh("make")
