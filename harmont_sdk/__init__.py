"""
harmont_sdk: what a plugin author imports to write a harmont plugin.

It builds only on harmont's public API (``harmont``, ``harmont.protocol``,
``harmont.hookspecs``), so a plugin written against it keeps working as harmont's
internals move.
"""

from __future__ import annotations

__all__: list[str] = []
