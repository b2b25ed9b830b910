"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._zig``."""

from __future__ import annotations

from harmont._dsl.toolchains.zig import ZigEntry, ZigProject, ZigToolchain, zig

__all__ = ["ZigEntry", "ZigProject", "ZigToolchain", "zig"]
