"""Raises TypeError: pipeline parameters need a marker or a default."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci(base) -> hm.Step:
    return base.sh("make")
