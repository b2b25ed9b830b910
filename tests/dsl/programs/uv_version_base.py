"""A pinned uv and a base."""

from __future__ import annotations

import harmont as hm

proj = hm.py.uv(version="0.5.1", base=hm.apt_base(packages=("python3", "curl")))
PIPELINE = hm.pipeline([proj.test(), proj.build(label="wheel")])
