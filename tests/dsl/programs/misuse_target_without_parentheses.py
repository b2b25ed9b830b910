"""Raises TypeError: @hm.target needs its parentheses."""

from __future__ import annotations

import harmont as hm


@hm.target
def base() -> hm.Step:
    return hm.sh("make")
