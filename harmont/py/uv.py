"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont.py.uv``."""

from __future__ import annotations

from harmont._dsl.toolchains.python import UvEntry, UvProject, uv

__all__ = ["UvEntry", "UvProject", "uv"]
