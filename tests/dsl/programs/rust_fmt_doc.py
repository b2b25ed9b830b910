"""fmt() narrowed, doc() with private items, dependencies and allowed warnings."""

from __future__ import annotations

import harmont as hm

proj = hm.rust.project()
PIPELINE = hm.pipeline(
    [
        proj.fmt(all=False, check=False, flags=("--", "--emit=files")),
        proj.doc(document_private_items=True, no_deps=False, env={"X": "1"}),
        proj.doc(deny_warnings=False, label="docs"),
    ]
)
