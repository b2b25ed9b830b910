"""Raises ValueError: a pull_request trigger needs at least one type."""

from __future__ import annotations

import harmont as hm

hm.pull_request(types=[])
