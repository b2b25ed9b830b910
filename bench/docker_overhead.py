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
image must exist locally (the docker tests build ``harmont-test/busybox:1``). With
``--calls`` it runs the pipeline once, in process, and lists each engine call hm made and
how long it took: where the docker runner's time goes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from _timing import chain_pipeline, race

if TYPE_CHECKING:
    from collections.abc import Callable


def _script(steps: int, image: str) -> str:
    return (
        "set -e\n"
        f"id=$(docker run -d --label harmont-bench=1 {image} sleep infinity)\n"
        f"for i in $(seq {steps}); do docker exec $id sh -c true; done\n"
        "docker rm -f $id >/dev/null\n"
    )


#: The docker-py calls ``--calls`` times: every request the docker runner makes.
_ENGINE_CALLS = (
    "version",
    "inspect_image",
    "create_container",
    "start",
    "put_archive",
    "get_archive",
    "exec_create",
    "exec_start",
    "exec_inspect",
    "commit",
    "tag",
    "containers",
    "images",
    "remove_container",
    "remove_image",
)


def _engine_calls(pipeline: Path) -> int:
    """
    Run *pipeline* once in this process, timing each engine call of the docker runner.

    Prints one line per call in the order they ended (its start since the run began, its
    duration, its thread), then the run's wall time and the engine calls' sum.
    """
    import threading

    import docker.api.client

    import harmont

    calls: list[tuple[str, float, float, str]] = []
    client = docker.api.client.APIClient

    def timed(name: str, call: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                calls.append((name, started, ended, threading.current_thread().name))

        return wrapper

    for name in _ENGINE_CALLS:
        setattr(client, name, timed(name, getattr(client, name)))
    started = time.perf_counter()
    result = harmont.run(pipeline, directory=pipeline.parent, runner="docker")
    wall = time.perf_counter() - started
    print(f"{'at ms':>8} {'took ms':>8}  engine call        thread")
    for name, begun, ended, thread in calls:
        print(f"{(begun - started) * 1000:8.0f} {(ended - begun) * 1000:8.1f}  {name:18} {thread}")
    engine = sum(ended - begun for _, begun, ended, _ in calls)
    print(
        f"run {wall * 1000:.0f} ms (exit {result.exit_code}), engine calls {engine * 1000:.0f} ms"
    )
    return result.exit_code


def main() -> int:
    """Run both sides ``--repeat`` times and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--image", default="harmont-test/busybox:1")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--calls",
        action="store_true",
        help="run the pipeline once in this process and list each engine call it makes",
    )
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
        (root / "pipeline.json").write_text(json.dumps(chain_pipeline(args.steps, args.image)))
        (root / "script.sh").write_text(_script(args.steps, args.image))
        if args.calls:
            return _engine_calls(root / "pipeline.json")
        hm = [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "docker"]
        hm += ["--format", "json"]
        hm_median, shell_median = race(hm, ["sh", "script.sh"], cwd=root, repeat=args.repeat)
    print(f"{args.steps}-step chain, median of {args.repeat} runs; baseline the script")
    print(f"  docker run/exec/rm script    {shell_median * 1000:8.0f} ms  x1.00")
    print(
        f"  hm run --runner docker       {hm_median * 1000:8.0f} ms"
        f"  x{hm_median / shell_median:.2f}  (goal: <= x0.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
