"""
What a step starts from unless it says otherwise: the baseline env and the DSL's image.

A leaf module: the DSL renders both into its steps, the planner merges the env again and
the local runner recognises the stamped image, and none of them may import the DSL (``hm
run`` does not) to learn three strings.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BASELINE_ENV", "DEFAULT_IMAGE"]

#: The image the DSL stamps on chain roots that name none; toolchain steps assume apt-get.
DEFAULT_IMAGE: Final = "ubuntu:24.04"

#: Variables every step gets, under the pipeline's and the step's own: builds never prompt.
BASELINE_ENV: Final[Mapping[str, str]] = MappingProxyType(
    {"DEBIAN_FRONTEND": "noninteractive", "TERM": "dumb"}
)
