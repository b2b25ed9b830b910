"""A decorated pipeline building two toolchains on one apt base."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> hm.Pipeline:
    base = hm.apt_base(packages=("curl", "xz-utils", "python3"))
    return (
        hm.zig(path="fixtures/zig", base=base).test(),
        hm.python(path="fixtures/python", base=base).lint(),
    )
