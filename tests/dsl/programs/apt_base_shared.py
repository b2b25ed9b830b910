"""One hm.apt_base shared by two toolchains: their installs fork from it."""

from __future__ import annotations

import harmont as hm

base = hm.apt_base(packages=("curl", "ca-certificates", "git"))
rust = hm.rust.toolchain(base=base)
go = hm.go(path="fixtures/go", base=base)
PIPELINE = hm.pipeline([rust.build(), go.test()])
