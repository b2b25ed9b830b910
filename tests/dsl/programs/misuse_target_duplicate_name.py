"""Raises ValueError: two targets cannot share a name."""

from __future__ import annotations

import harmont as hm


@hm.target()
def base() -> hm.Step:
    return hm.sh("make")


@hm.target(name="base")
def other() -> hm.Step:
    return hm.sh("make other")
