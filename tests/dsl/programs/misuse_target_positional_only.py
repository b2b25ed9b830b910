"""Raises TypeError: target parameters are passed by name."""

from __future__ import annotations

import harmont as hm


@hm.target()
def base(step: hm.Target[hm.Step], /) -> hm.Step:
    return step
