"""Raises ValueError: a wait barrier cannot have a timeout."""

from __future__ import annotations

import harmont as hm

hm.timeout("30s", hm.wait())
