"""The one-call forms of hm.py.uv."""

from __future__ import annotations

import harmont as hm

P = "fixtures/python"
PIPELINE = hm.pipeline(
    [
        hm.py.uv.test(path=P),
        hm.py.uv.lint(),
        hm.py.uv.fmt(label="format"),
        hm.py.uv.typecheck(paths="src", path=P),
        hm.py.uv.run("mypy .", path=P),
        hm.py.uv.build(version="0.4.0"),
        hm.py.uv.lock_check(key="lock"),
        hm.py.uv.publish(image="python:3.12"),
    ]
)
