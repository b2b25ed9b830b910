"""Non-ASCII text: kept as is by pipeline_to_json, escaped by the registry envelope."""

from __future__ import annotations

import harmont as hm

step = hm.sh("echo 'héllo wörld ☕'", label="Grüße 🚀", env={"GREETING": "こんにちは"})


@hm.pipeline("unicode", name="Ünïcode ✓")
def unicode() -> hm.Step:
    return step


PIPELINE = hm.pipeline([step])
