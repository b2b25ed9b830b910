"""
What `hm run --trace FILE` costs: the 300-step DAG of run_overhead.py, with and without it.

Both builds are `hm run --runner local --format json` as a subprocess, interleaved (each
first every other round) so a busy machine slows both alike; the untraced build is the
baseline. Printed: median wall time and median CPU time (hm and its steps) of each,
their ratios (goal: traced <= x1.05), and the size of the trace. Without ``--trace`` no
tracer exists and the run's hot paths only test that it is None, so the baseline is
the untraced cost itself.

Run: ``python bench/trace_overhead.py [--jobs N] [--repeat R] [--sections S]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from run_overhead import SECTIONS, cpu_and_wall, dag


def measure(workdir: Path, steps: list[dict[str, Any]], *, jobs: int, repeat: int) -> str:
    """Build *steps* in *workdir* *repeat* times each way; return the report."""
    (workdir / "pipeline.json").write_text(json.dumps({"version": "0", "steps": steps}))
    hm = [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "local"]
    hm += ["--format", "json", "--parallelism", str(jobs)]
    trace = workdir / "trace.json"
    plain: list[tuple[float, float]] = []
    traced: list[tuple[float, float]] = []
    for round_ in range(repeat):
        # Each first every other round: a build slows the one right after it (its cleanup).
        for traced_now in (False, True) if round_ % 2 else (True, False):
            argv = [*hm, "--trace", str(trace)] if traced_now else hm
            (traced if traced_now else plain).append(cpu_and_wall(argv, workdir, 1))
    slices = sum(e["ph"] == "X" for e in json.loads(trace.read_text())["traceEvents"])
    cpu, wall = (statistics.median(x) for x in zip(*plain, strict=True))
    traced_cpu, traced_wall = (statistics.median(x) for x in zip(*traced, strict=True))
    count = sum(step["type"] == "command" for step in steps)
    return "\n".join(
        [
            f"{count} steps, -j {jobs}, median of {repeat}; baseline: the build untraced",
            f"  hm run             wall {wall * 1000:8.1f} ms  x1.00  CPU {cpu * 1000:8.1f} ms",
            f"  hm run --trace     wall {traced_wall * 1000:8.1f} ms  x{traced_wall / wall:.2f}"
            f"  CPU {traced_cpu * 1000:8.1f} ms  x{traced_cpu / cpu:.2f}  (goal: <= x1.05)",
            f"  trace: {slices} slices, {trace.stat().st_size / 1024:.0f} KiB",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sections", type=int, default=SECTIONS, help="50 steps each")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hm-bench-trace-") as tmp:
        steps = dag(options.sections)
        print(measure(Path(tmp), steps, jobs=options.jobs, repeat=options.repeat))


if __name__ == "__main__":
    main()
