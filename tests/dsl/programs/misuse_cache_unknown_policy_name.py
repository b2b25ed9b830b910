"""Raises ValueError: an edited dict naming an unknown policy cannot be keyed."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline([hm.sh("make")])
PIPELINE["graph"]["nodes"][0]["step"]["cache"] = {"policy": "sometimes"}
