"""Raises ValueError: pull_request types are GitHub action names."""

from __future__ import annotations

import harmont as hm

hm.pr(types=["opened", "merged"])
