"""Raises ValueError: exclude= on a toolchain action without workspace=True."""

from __future__ import annotations

import harmont as hm

hm.rust.toolchain().build(exclude=("a",))
