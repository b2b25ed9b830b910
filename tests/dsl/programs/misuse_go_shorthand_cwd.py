"""Raises TypeError: hm.go.test hands cwd= to the toolchain."""

from __future__ import annotations

import harmont as hm

hm.go.test(cwd="x")
