"""Raises ValueError: an Elixir version without a patch."""

from __future__ import annotations

import harmont as hm

hm.elixir(elixir_version="1.18")
