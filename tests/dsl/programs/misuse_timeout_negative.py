"""Raises ValueError: a negative number of seconds is not a duration."""

from __future__ import annotations

import harmont as hm

hm.timeout(-5, hm.sh("make"))
