"""Raises RuntimeError: targets that depend on each other."""

from __future__ import annotations

import harmont as hm


@hm.target()
def left(right: hm.Target[hm.Step]) -> hm.Step:
    return right.sh("make left")


@hm.target()
def right(left: hm.Target[hm.Step]) -> hm.Step:
    return left.sh("make right")


@hm.pipeline("ci")
def ci(left: hm.Target[hm.Step]) -> hm.Step:
    return left
