"""harmont.py and harmont.py.uv are importable, as 0.0.9 files do."""

from __future__ import annotations

import harmont as hm
import harmont.py as hmpy
from harmont.py.uv import UvProject

proj = hmpy.uv(path="fixtures/python")
OUTPUT = repr(isinstance(proj, UvProject))
PIPELINE = hm.pipeline([proj.test()])
