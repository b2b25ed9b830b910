"""Raises ValueError: a generator other than ninja or make."""

from __future__ import annotations

import harmont as hm

hm.cmake(generator="xcode")
