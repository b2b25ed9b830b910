"""
The wire protocol every plugin speaks, Python or native (SPEC.md §2).

Each type is a frozen attrs class whose field order is its borsh field order.
"""

from __future__ import annotations

from typing import Final

__all__ = ["API_VERSION"]

#: The plugin API version; bumped on any new required field in any wire type.
API_VERSION: Final = 2
