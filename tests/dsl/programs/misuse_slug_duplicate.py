"""Raises ValueError: two pipelines cannot share a slug."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def first() -> hm.Step:
    return hm.sh("make")


@hm.pipeline("ci")
def second() -> hm.Step:
    return hm.sh("make")
