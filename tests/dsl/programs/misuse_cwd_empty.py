"""Raises ValueError: cwd must not be empty."""

from __future__ import annotations

import harmont as hm

hm.sh("make", cwd="")
