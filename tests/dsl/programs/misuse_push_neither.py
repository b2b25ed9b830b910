"""Raises ValueError: a push trigger needs a branch or a tag."""

from __future__ import annotations

import harmont as hm

hm.push()
