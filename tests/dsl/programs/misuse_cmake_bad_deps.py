"""Raises ValueError: a dependency manager other than vcpkg."""

from __future__ import annotations

import harmont as hm

hm.cmake(path=".", deps="conan")
