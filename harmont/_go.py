"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._go``."""

from __future__ import annotations

from harmont._dsl.toolchains.go import GoEntry, GoToolchain, go

__all__ = ["GoEntry", "GoToolchain", "go"]
