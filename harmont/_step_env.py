"""
The environment every step starts from, under the pipeline's, the step's and ``--env``.

A leaf module: the DSL renders it into each step and the planner merges it again, and
``hm run`` must not import the DSL to learn two variables.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BASELINE_ENV"]

#: Variables every step gets, under the pipeline's and the step's own: builds never prompt.
BASELINE_ENV: Final[Mapping[str, str]] = MappingProxyType(
    {"DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb"}
)
