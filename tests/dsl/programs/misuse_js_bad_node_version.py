"""Raises ValueError: a Node version that is no major."""

from __future__ import annotations

import harmont as hm

hm.js.project(version="lts")
