"""Raises ValueError: all_features=True with no_default_features=True."""

from __future__ import annotations

import harmont as hm

hm.rust.toolchain().clippy(all_features=True, no_default_features=True)
