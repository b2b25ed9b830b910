"""Raises TypeError: hm.apt_base takes its packages by keyword."""

from __future__ import annotations

import harmont as hm

hm.apt_base(("curl",))
