"""A pipeline function returning a Rust project means its test, clippy and fmt."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("ci")
def ci() -> object:
    return hm.rust.project()
