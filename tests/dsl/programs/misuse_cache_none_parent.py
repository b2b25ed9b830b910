"""Raises ValueError: a parent with CacheNone has no key for its cached child."""

from __future__ import annotations

from datetime import timedelta

import harmont as hm

root = hm.sh("make", cache=hm.CacheNone())
PIPELINE = hm.pipeline([root.fork().sh("make check", cache=hm.ttl(timedelta(hours=1)))])
