"""image= on a fresh chain; base= on a shared apt base."""

from __future__ import annotations

import harmont as hm

a = hm.cmake(path="fixtures/cmake", image="ubuntu:22.04")
b = hm.cmake(path=".", base=hm.apt_base(packages=("cmake",)))
PIPELINE = hm.pipeline([a.lint(), b.lint()])
