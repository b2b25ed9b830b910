"""Raises ValueError: a cached step needs a cached parent."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline([hm.sh("make").sh("make check", cache=hm.forever())])
