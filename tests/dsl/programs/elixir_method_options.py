"""cover, partitions, strict, mix_env, and step options merged with the Elixir env."""

from __future__ import annotations

import harmont as hm

proj = hm.elixir(path="fixtures/elixir")
PIPELINE = hm.pipeline(
    [
        proj.test(cover=True, partitions=4),
        proj.credo(strict=False),
        proj.release(mix_env="staging", label="stage"),
        proj.compile(
            env={"MIX_ENV": "test", "ELIXIR_ERL_OPTIONS": "+fnu +sbwt none"}, key="compile-test"
        ),
        proj.dialyzer(),
        proj.dialyzer(label="dialyzer again"),
        proj.plt(),
    ]
)
