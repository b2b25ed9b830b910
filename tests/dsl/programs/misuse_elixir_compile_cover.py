"""Raises TypeError: compile() takes no cover=."""

from __future__ import annotations

import harmont as hm

hm.elixir().compile(cover=True)
