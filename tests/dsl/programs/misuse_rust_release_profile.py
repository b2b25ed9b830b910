"""Raises ValueError: release=True with a profile."""

from __future__ import annotations

import harmont as hm

hm.rust.project().test(release=True, profile="bench")
