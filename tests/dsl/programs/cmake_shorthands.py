"""The one-call forms: hm.cmake.build(), .test(), .fmt(), .lint(), .install(), .package()."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline(
    [
        hm.cmake.build(path="fixtures/cmake", label="ignored"),
        hm.cmake.test(compiler="gcc", label="unit"),
        hm.cmake.fmt(path="fixtures/cmake"),
        hm.cmake.lint(env={"A": "1"}, generator="make"),
        hm.cmake.install(ccache=False),
        hm.cmake.package(key="pkg", cache=hm.forever()),
    ]
)
