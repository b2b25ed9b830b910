"""Raises TypeError: the list factory takes env= and timeout= only."""

from __future__ import annotations

import harmont as hm

hm.pipeline([hm.sh("make")], triggers=[hm.push(branch="main")])
