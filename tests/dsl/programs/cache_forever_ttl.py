"""forever and ttl keys: env_keys read from the render environment, clock windows, CacheNone."""

from __future__ import annotations

from datetime import timedelta

import harmont as hm
from harmont.cache import CacheNone, CacheTTL

toolchain = hm.sh(
    "curl -sSf https://sh.rustup.rs | sh -s -- -y",
    label="toolchain",
    cache=hm.forever(env_keys=("TARGET_ARCH", "RUST_VERSION", "NOT_SET")),
)
daily = toolchain.sh("apt-get update", label="daily", cache=hm.ttl(timedelta(days=1)))
hourly = daily.sh(
    "cargo fetch",
    label="hourly",
    cache=CacheTTL(duration=timedelta(hours=1), env_keys=["RUST_VERSION"]),
)
odd_window = hourly.sh("true", label="odd", cache=hm.ttl(timedelta(seconds=7, milliseconds=900)))
never = odd_window.sh("cargo test", label="never", cache=CacheNone())
plain = hm.sh("echo plain", label="plain", cache=hm.forever())

PIPELINE = hm.pipeline([never, plain])
