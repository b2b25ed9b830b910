"""project(cache=...) replaces the warm build's on_change policy."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project(path="fixtures/rust-workspace", cache=hm.forever(env_keys=("RUST_VERSION",)))
PIPELINE = hm.pipeline([proj.build()])
