"""doc() leaves a RUSTDOCFLAGS the caller set alone."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline(
    [proj.doc(env={"RUSTDOCFLAGS": "--cfg docsrs"}, target="x86_64-pc-windows-gnu")]
)
