"""Raises ValueError: a Go version with a prefix."""

from __future__ import annotations

import harmont as hm

hm.go(version="go1.22")
