"""Raises ValueError: all_features=True with features=."""

from __future__ import annotations

import harmont as hm

hm.rust.project().build(all_features=True, features=("a",))
