"""hm.rust.toolchain(base=...) and a step chained on .installed by hand."""

from __future__ import annotations

import harmont as hm

base = hm.apt_base(packages=("curl", "build-essential"))
tc = hm.rust.toolchain(base=base, version="1.81.0")
PIPELINE = hm.pipeline([tc.build(), tc.installed.sh("cargo --version", label="version")])
