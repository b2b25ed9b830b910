"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._elixir``."""

from __future__ import annotations

from harmont._dsl.toolchains.elixir import ElixirEntry, ElixirProject, elixir

__all__ = ["ElixirEntry", "ElixirProject", "elixir"]
