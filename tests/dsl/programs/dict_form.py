"""pipeline() returns a plain dict: a program may read and edit it before rendering."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline([hm.sh("make", label="make").sh("make check", label="check")])
PIPELINE["graph"]["nodes"][0]["step"]["cache"] = {"policy": "forever", "env_keys": ["LANG"]}
PIPELINE["graph"]["nodes"][1]["step"]["cache"] = {"policy": "none"}
PIPELINE["graph"]["nodes"][1]["env"]["EXTRA"] = "1"
