"""Every action of hm.rust.toolchain(), off the install step."""

from __future__ import annotations

import harmont as hm

tc = hm.rust.toolchain(path="fixtures/rust-crate")
PIPELINE = hm.pipeline(
    [tc.build(), tc.test(), tc.doctest(), tc.clippy(), tc.fmt(), tc.doc(), tc.warmup()]
)
