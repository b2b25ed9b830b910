"""hm.apt_base with an image and a label, extended by hand."""

from __future__ import annotations

import harmont as hm

base = hm.apt_base(packages=("make",), image="debian:12", label="system deps")
PIPELINE = hm.pipeline([base.sh("make all", label="all"), base.sh("make check")])
