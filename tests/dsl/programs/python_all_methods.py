"""hm.python() and every action, typecheck paths included."""

from __future__ import annotations

import harmont as hm

tc = hm.python(path="fixtures/python")
PIPELINE = hm.pipeline(
    [
        tc.test(),
        tc.lint(),
        tc.fmt(),
        tc.typecheck(),
        tc.typecheck(paths="src", label="ty src"),
        tc.typecheck(paths=["src", "tests"]),
    ]
)
