"""The one-call forms of every Elixir action."""

from __future__ import annotations

import harmont as hm

P = "fixtures/elixir"
PIPELINE = hm.pipeline(
    [
        hm.elixir.compile(path=P),
        hm.elixir.test(path=P, cover=True, label="cover"),
        hm.elixir.format(),
        hm.elixir.credo(strict=False, elixir_version="1.16.3"),
        hm.elixir.plt(path=P),
        hm.elixir.dialyzer(path=P),
        hm.elixir.sobelow(env={"A": "1"}),
        hm.elixir.deps_audit(key="audit"),
        hm.elixir.hex_audit(cache=hm.forever()),
        hm.elixir.release(mix_env="prod", path=P),
        hm.elixir.mix("ecto.migrate", path=P, label="migrate"),
    ]
)
