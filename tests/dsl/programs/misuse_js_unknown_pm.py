"""Raises KeyError: a package manager hm.js does not know."""

from __future__ import annotations

import harmont as hm

hm.js.project(pm="cargo")
