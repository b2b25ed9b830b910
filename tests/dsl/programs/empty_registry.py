"""A program that registers nothing renders an empty envelope."""

from __future__ import annotations

import harmont as hm

OUTPUT = repr(hm.scratch().fork("unused").cmd)
