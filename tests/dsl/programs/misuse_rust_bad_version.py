"""Raises ValueError: a rust version that is neither a channel nor a release."""

from __future__ import annotations

import harmont as hm

hm.rust.toolchain(version="Stable 1.80")
