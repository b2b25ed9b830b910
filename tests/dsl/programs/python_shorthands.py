"""The one-call forms of hm.python."""

from __future__ import annotations

import harmont as hm

P = "fixtures/python"
PIPELINE = hm.pipeline(
    [
        hm.python.test(path=P),
        hm.python.lint(label="ruff"),
        hm.python.fmt(uv_version="0.5.0", key="fmt"),
        hm.python.typecheck(paths=["src"], path=P),
    ]
)
