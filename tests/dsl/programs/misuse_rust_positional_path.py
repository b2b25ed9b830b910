"""Raises TypeError: hm.rust.project takes keywords only."""

from __future__ import annotations

import harmont as hm

hm.rust.project(".")
