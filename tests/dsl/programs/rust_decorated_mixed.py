"""Toolchain objects and steps mixed in a returned list, nested."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> object:
    proj = hm.rust.project(path="fixtures/rust-workspace")
    return [proj, (hm.sh("echo done"), hm.rust.toolchain())]
