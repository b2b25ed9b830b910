"""Raises ValueError: a duration string needs units."""

from __future__ import annotations

import harmont as hm

hm.timeout("90", hm.sh("make"))
