"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._cmake``."""

from __future__ import annotations

from harmont._dsl.toolchains.cmake import CMakeEntry, CMakeProject, CMakeToolchain, cmake

__all__ = ["CMakeEntry", "CMakeProject", "CMakeToolchain", "cmake"]
