"""Raises TypeError: a bool is not a duration, although it is an int."""

from __future__ import annotations

import harmont as hm

hm.timeout(True, hm.sh("make"))
