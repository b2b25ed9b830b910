"""Re-exports for pipeline files written for harmont 0.0.9: they import from ``harmont._js``."""

from __future__ import annotations

from harmont._dsl.toolchains.js import JsEntry, JsProject, js, ts

__all__ = ["JsEntry", "JsProject", "js", "ts"]
