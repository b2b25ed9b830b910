"""Raises ValueError: a push trigger takes a branch or a tag, not both."""

from __future__ import annotations

import harmont as hm

hm.push(branch="main", tag="v*")
