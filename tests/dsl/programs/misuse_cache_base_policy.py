"""Raises TypeError: the CachePolicy base is not a policy of its own."""

from __future__ import annotations

import harmont as hm

hm.pipeline([hm.sh("make", cache=hm.CachePolicy())])
