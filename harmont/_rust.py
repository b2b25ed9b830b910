"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._rust``."""

from __future__ import annotations

from harmont._dsl.toolchains.rust import RustEntry, RustProject, RustToolchain, rust

__all__ = ["RustEntry", "RustProject", "RustToolchain", "rust"]
