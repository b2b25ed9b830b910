"""Raises ValueError: slugs are lowercase letters, digits and dashes, starting with a letter."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("Not_A_Slug")
def ci() -> hm.Step:
    return hm.sh("make")
