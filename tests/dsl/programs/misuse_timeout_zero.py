"""Raises ValueError: a duration must be positive."""

from __future__ import annotations

import harmont as hm

hm.timeout("0s", hm.sh("make"))
