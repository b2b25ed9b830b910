"""hm.elixir() and every project method."""

from __future__ import annotations

import harmont as hm

proj = hm.elixir(path="fixtures/elixir")
PIPELINE = hm.pipeline(
    [
        proj.compile(),
        proj.test(),
        proj.format(),
        proj.credo(),
        proj.dialyzer(),
        proj.sobelow(),
        proj.deps_audit(),
        proj.hex_audit(),
        proj.release(),
        proj.mix("docs"),
    ]
)
