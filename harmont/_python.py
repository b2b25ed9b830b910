"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._python``."""

from __future__ import annotations

from harmont._dsl.toolchains.python import PythonEntry, PythonToolchain, python

__all__ = ["PythonEntry", "PythonToolchain", "python"]
