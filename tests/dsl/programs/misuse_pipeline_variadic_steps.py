"""Raises TypeError: leaves go in one list, not as separate arguments."""

from __future__ import annotations

import harmont as hm

hm.pipeline(hm.sh("make a"), hm.sh("make b"))
