"""
How long `hm run`'s pre-flight takes to pull a pipeline's images, against ``docker pull``.

Three images of about 30 MB each (random data on the busybox test image, so each has a
layer of its own) are pushed to a ``docker-registry`` on 127.0.0.1 and removed locally;
then they are pulled, over and over, by the docker runner's pre-flight
(:func:`~harmont._executors._docker_pull.ensure_images`, a few at a time, with progress
parsed from the engine's stream) and by the ``docker pull`` commands a person would type,
one after the other. The script prints both wall times (median of a few runs) as ratios to
``docker pull``'s; the goal is about x1.00: following the engine's progress stream costs
nothing measurable. A local registry is bound by the disk and the CPU, not by the network,
so it cannot show what pulling a few at a time gains against a distant registry.

Run: ``python bench/pull_overhead.py [--size BYTES] [--repeat R] [--image IMAGE]
[--registry BINARY]``. Needs ``docker-registry`` (Debian) and the image
``harmont-test/busybox:1`` (the docker tests build it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "docker"))

from registry_rig import LocalRegistry, forget

from harmont._executors._docker_engine import connect
from harmont._executors._docker_pull import ensure_images
from harmont._orchestrator._preflight import PullPolicy

#: How many images the pipeline pulls.
_IMAGES = 3


def main() -> None:
    """Push the images, time both ways of pulling them, print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--size", type=int, default=30_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--image", default="harmont-test/busybox:1", help="what images build on")
    parser.add_argument("--registry", default="docker-registry", help="the registry to serve")
    options = parser.parse_args()
    api = connect()
    with tempfile.TemporaryDirectory() as directory:
        registry = LocalRegistry(options.registry, Path(directory))
        try:
            references = [registry.reference() for _ in range(_IMAGES)]
            for index, reference in enumerate(references):
                registry.push(api, options.image, reference, f"bench-{index}", size=options.size)

            def cli() -> None:
                for reference in references:
                    subprocess.run(["docker", "pull", "-q", reference], check=True, stdout=-3)

            def preflight() -> None:
                roots = {f"chain-{i}": reference for i, reference in enumerate(references)}
                ensure_images(api, roots, pull=PullPolicy.MISSING, on_pull=lambda _: None)

            times: dict[str, list[float]] = {"docker pull": [], "pre-flight": []}
            for _ in range(options.repeat):
                for name, pull in (("docker pull", cli), ("pre-flight", preflight)):
                    for reference in references:
                        forget(api, reference)
                    started = time.perf_counter()
                    pull()
                    times[name].append(time.perf_counter() - started)
            for reference in references:
                forget(api, reference)
        finally:
            registry.stop()
    baseline, ours = (statistics.median(times[name]) for name in ("docker pull", "pre-flight"))
    print(
        f"{_IMAGES} images of {options.size:,} bytes each, median of {options.repeat} pulls"
        " (x: time over the baseline's; higher is slower)"
    )
    print(f"  docker pull, one after the other   {baseline:6.2f} s  x1.00")
    print(
        f"  hm pre-flight, a few at a time     {ours:6.2f} s  x{ours / baseline:.2f}  (goal: x1.00)"
    )


if __name__ == "__main__":
    main()
