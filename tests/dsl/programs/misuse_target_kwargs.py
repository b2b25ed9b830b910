"""Raises TypeError: targets cannot take **kwargs."""

from __future__ import annotations

import harmont as hm


@hm.target()
def base(**steps: hm.Step) -> hm.Step:
    return hm.sh("make")
