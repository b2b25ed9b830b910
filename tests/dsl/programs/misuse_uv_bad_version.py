"""Raises ValueError: a uv version with a v prefix."""

from __future__ import annotations

import harmont as hm

hm.py.uv(version="v0.5.1")
