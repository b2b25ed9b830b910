"""``hm.py``: Python toolchains by package manager; ``hm.py.uv`` is the uv one."""

from __future__ import annotations

from harmont._dsl.toolchains.python import UvProject as UvProject
from harmont._dsl.toolchains.python import uv as uv

__all__ = ["UvProject", "uv"]
