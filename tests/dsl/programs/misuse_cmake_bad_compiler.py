"""Raises ValueError: a compiler hm.cmake cannot install."""

from __future__ import annotations

import harmont as hm

hm.cmake(path=".", compiler="msvc")
