"""Raises TypeError: BaseImage needs a non-empty image name."""

from __future__ import annotations

from typing import Annotated

import harmont as hm


@hm.target()
def base(root: Annotated[hm.Step, hm.BaseImage("")]) -> hm.Step:
    return root.sh("make")
