"""hm.timeout in every accepted form, replacing a previous limit; the pipeline-level budget."""

from __future__ import annotations

from datetime import timedelta

import harmont as hm

a = hm.timeout("1h30m", hm.sh("make slow", label="slow"))
b = hm.timeout(45, a.sh("make quick", label="quick"))
c = hm.timeout(timedelta(minutes=2, seconds=30.9), hm.sh("make odd", label="odd"))
d = hm.timeout(" 10s ", hm.timeout("5m", hm.sh("make twice", label="twice")))
e = hm.timeout("1m1m", hm.sh("make repeated-units", label="repeated"))

PIPELINE = hm.pipeline([b, c, d, e], timeout="2h")
