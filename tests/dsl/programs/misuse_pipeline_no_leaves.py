"""Raises ValueError: a pipeline needs at least one leaf."""

from __future__ import annotations

import harmont as hm

hm.pipeline([])
