"""
Cache policy classes, for programs that ``from harmont.cache import CacheTTL`` as they could
with harmont 0.0.9; ``hm.ttl(...)`` and the other helpers build the same objects.
"""

from __future__ import annotations

from harmont._dsl import CacheCompose, CacheForever, CacheNone, CacheOnChange, CachePolicy, CacheTTL

__all__ = ["CacheCompose", "CacheForever", "CacheNone", "CacheOnChange", "CachePolicy", "CacheTTL"]
