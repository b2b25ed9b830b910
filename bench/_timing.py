"""
What the benches that race ``hm run`` against a hand-written script share.

Both sides run as whole processes, alternately, after one warm-up run each (page cache,
engine or kubelet), so a load that drifts during the measurement weighs on both alike;
each side's figure is its median.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["chain_pipeline", "race"]


def chain_pipeline(steps: int, image: str) -> dict[str, object]:
    """The IR of a chain of *steps* steps of ``true``, each building in the previous one."""
    chain: list[dict[str, object]] = []
    parent = None
    for index in range(steps):
        key = f"step-{index}"
        chain.append({"type": "command", "key": key, "cmd": "true", "builds_in": parent})
        parent = key
    return {"version": "0", "default_image": image, "steps": chain}


def _wall(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def race(hm: list[str], script: list[str], *, cwd: Path, repeat: int) -> tuple[float, float]:
    """The median wall times in seconds of *hm* and *script*, each run *repeat* times."""
    _wall(hm, cwd)
    _wall(script, cwd)
    hm_times, script_times = [], []
    for _ in range(repeat):
        hm_times.append(_wall(hm, cwd))
        script_times.append(_wall(script, cwd))
    return statistics.median(hm_times), statistics.median(script_times)
