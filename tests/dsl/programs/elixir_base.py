"""hm.elixir(base=...) on a shared apt base."""

from __future__ import annotations

import harmont as hm

proj = hm.elixir(
    path="fixtures/elixir", otp_version="27.1", base=hm.apt_base(packages=("curl", "git"))
)
PIPELINE = hm.pipeline([proj.compile(), proj.format()])
