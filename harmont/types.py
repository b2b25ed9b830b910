"""
Type aliases for annotating pipeline programs, importable from ``harmont.types`` as they
were in harmont 0.0.9.
"""

from __future__ import annotations

from harmont._dsl import EnvVars, Pipeline

__all__ = ["EnvVars", "Pipeline"]
