"""A pinned uv release, an image, and a base."""

from __future__ import annotations

import harmont as hm

a = hm.python(uv_version="0.4.18", image="python:3.12")
b = hm.python(path="fixtures/python", base=hm.apt_base(packages=("python3",)))
PIPELINE = hm.pipeline([a.test(), b.test()])
