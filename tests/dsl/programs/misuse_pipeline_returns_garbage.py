"""Raises TypeError: a pipeline function must return steps."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> object:
    return [hm.sh("make"), "make test"]
