"""``hm.py``: Python toolchains by package manager; ``hm.py.uv`` is the uv one."""

from __future__ import annotations

# Through the submodule, so that importing it first binds ``uv`` to the submodule and this
# line then rebinds it to the helper: a later ``import harmont.py.uv`` then leaves it alone.
from harmont.py.uv import UvProject, uv

__all__ = ["UvProject", "uv"]
