"""Raises ValueError: a pipeline function that returns no leaves."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> hm.Pipeline:
    return ()
