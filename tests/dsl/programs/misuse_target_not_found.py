"""Raises TypeError: a Target parameter must name a declared target."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci(toolchain: hm.Target[hm.Step]) -> hm.Step:
    return toolchain.sh("make")
