"""Raises ValueError: a uv version without a patch."""

from __future__ import annotations

import harmont as hm

hm.python(uv_version="0.4")
