"""Raises TypeError: an option no action takes."""

from __future__ import annotations

import harmont as hm

hm.rust.project().build(jobs=4)
