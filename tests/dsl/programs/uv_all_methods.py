"""hm.py.uv() and every action."""

from __future__ import annotations

import harmont as hm

proj = hm.py.uv(path="fixtures/python")
PIPELINE = hm.pipeline(
    [
        proj.test(),
        proj.lint(),
        proj.fmt(),
        proj.typecheck(paths=["src"]),
        proj.run("pytest -x tests"),
        proj.run("  "),
        proj.build(),
        proj.lock_check(),
        proj.publish(env={"UV_PUBLISH_TOKEN": "x"}),
    ]
)
