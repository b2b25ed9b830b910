"""Raises TypeError: the shorthand hands parallel= to the project."""

from __future__ import annotations

import harmont as hm

hm.cmake.test(parallel=False)
