"""Raises ValueError: a decorated pipeline's timeout is validated too."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci", timeout="soon")
def ci() -> hm.Step:
    return hm.sh("make")
