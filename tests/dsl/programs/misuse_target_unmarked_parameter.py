"""Raises TypeError: a target parameter with a plain annotation and no default."""

from __future__ import annotations

import harmont as hm


@hm.target()
def base(step: hm.Step) -> hm.Step:
    return step
