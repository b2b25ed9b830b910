"""
How much `hm run --runner docker` costs over the shell script it automates.

A 20-step chain of ``true`` runs as a pipeline under ``hm run --runner docker --format
json``, and as the script a person would write by hand: ``docker run -d`` of a keeper
container, 20 ``docker exec``, ``docker rm -f``, all on the same image. The script prints
both wall times (median of a few runs) as ratios to the script's; the goal is at most
0.5: one live shell per chain needs no `docker exec` per step, which the script pays.

hm does more than the script: it starts Python and loads its plugins, packs the source and
extracts it into the container, streams each step's output as events and waits for the
engine to report each exit code.

Run: ``python bench/docker_overhead.py [--image IMAGE] [--steps N] [--repeat R]``. The
image must exist locally (the docker tests build ``harmont-test/busybox:1``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _pipeline(steps: int, image: str) -> dict[str, object]:
    chain: list[dict[str, object]] = []
    parent = None
    for index in range(steps):
        key = f"step-{index}"
        chain.append({"type": "command", "key": key, "cmd": "true", "builds_in": parent})
        parent = key
    return {"version": "0", "default_image": image, "steps": chain}


def _script(steps: int, image: str) -> str:
    return (
        "set -e\n"
        f"id=$(docker run -d --label harmont-bench=1 {image} sleep infinity)\n"
        f"for i in $(seq {steps}); do docker exec $id sh -c true; done\n"
        "docker rm -f $id >/dev/null\n"
    )


def _time(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    """Run both sides ``--repeat`` times and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--image", default="harmont-test/busybox:1")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    probe = subprocess.run(
        ["docker", "image", "inspect", args.image], capture_output=True, check=False
    )
    if probe.returncode != 0:
        sys.stderr.write(
            f"error: image {args.image} is not in the local image store\n"
            "hint: run the docker tests once (they build it), or pass --image\n"
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="hm-bench-docker-") as tmp:
        root = Path(tmp)
        (root / "README").write_text("a one-file project\n")
        (root / "pipeline.json").write_text(json.dumps(_pipeline(args.steps, args.image)))
        (root / "script.sh").write_text(_script(args.steps, args.image))
        hm = [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "docker"]
        hm += ["--format", "json"]
        shell = ["sh", "script.sh"]
        _time(hm, root)  # warm the page cache and the engine for both sides
        _time(shell, root)
        hm_times, shell_times = [], []
        for _ in range(args.repeat):
            hm_times.append(_time(hm, root))
            shell_times.append(_time(shell, root))
    hm_median = statistics.median(hm_times)
    shell_median = statistics.median(shell_times)
    print(f"{args.steps}-step chain, median of {args.repeat} runs; baseline the script")
    print(f"  docker run/exec/rm script    {shell_median * 1000:8.0f} ms  x1.00")
    print(
        f"  hm run --runner docker       {hm_median * 1000:8.0f} ms"
        f"  x{hm_median / shell_median:.2f}  (goal: <= x0.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
