"""Raises ValueError: the pipeline-level timeout is validated like hm.timeout."""

from __future__ import annotations

import harmont as hm

hm.pipeline([hm.sh("make")], timeout="forever")
