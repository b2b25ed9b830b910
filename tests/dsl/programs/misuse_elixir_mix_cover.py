"""Raises TypeError: hm.elixir.mix hands cover= to the project."""

from __future__ import annotations

import harmont as hm

hm.elixir.mix("test", cover=True)
