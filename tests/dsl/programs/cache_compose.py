"""compose keys: sub-policies of every kind, CacheNone inside, and compose nested in compose."""

from __future__ import annotations

from datetime import timedelta

import harmont as hm
from harmont.cache import CacheCompose, CacheNone, CacheOnChange

daily_or_lock = hm.sh(
    "cargo fetch",
    label="fetch",
    cache=hm.compose(hm.ttl(timedelta(days=1)), hm.on_change("Cargo.lock")),
)
nested = daily_or_lock.sh(
    "cargo build",
    label="build",
    cache=CacheCompose(
        policies=(
            CacheNone(),
            hm.forever(env_keys=("RUST_VERSION",)),
            hm.compose(CacheOnChange(paths=("src",)), hm.ttl(timedelta(hours=6))),
        )
    ),
)
empty = hm.sh("true", label="empty", cache=hm.compose())

PIPELINE = hm.pipeline([nested, empty])
