"""Raises TypeError: a float is not a duration."""

from __future__ import annotations

import harmont as hm

hm.timeout(1.5, hm.sh("make"))
