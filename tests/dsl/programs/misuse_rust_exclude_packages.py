"""Raises ValueError: exclude= with packages=."""

from __future__ import annotations

import harmont as hm

hm.rust.project().build(packages=("a",), exclude=("b",))
