"""
How much `hm run --runner local` costs over `make -j N` on the same DAG of trivial steps.

The DAG has 300 steps of ``true``: six sections separated by waits; each section has five
chain roots, each a chain of four steps that forks into three chains of two. The same
graph becomes a Makefile (one target per step, depending on its parent and, after a wait,
on every step before it) run by ``make -j N``, with the same N as ``--parallelism``. Each
tool runs in a directory holding only its own pipeline file, so hm's source (which it
clones into every chain) is its pipeline, not make's Makefile too.
The script prints both wall times (median of a few runs), their ratio, the CPU time of each
side, the same for the least a Python program spends running those steps as hm's local
runner must (``bench/_spawn_floor.py``: ``subprocess.Popen`` of each ``sh -c``, its two
pipes read, nothing else: the floor under any CPython host), and where hm's time goes:
interpreter and import start-up, loading and planning, source packing, the per-step cost
of the schedule itself (wall, and CPU split between hm and the step processes it spawns),
what the docker plugin costs a local build (its ``build_end`` hook, measured as the same
build with ``-p no:docker``), and how the local runner makes chain directories on this
machine's temporary directory (reflink or copy).

Run: ``python bench/run_overhead.py [--jobs N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The baseline that runs the same steps from Python with nothing of hm's.
FLOOR = Path(__file__).resolve().parent / "_spawn_floor.py"
SECTIONS = 6
ROOTS = 5
CHAIN = 4
FORKS = 3
FORK_CHAIN = 2


def dag(sections: int = SECTIONS) -> list[dict[str, Any]]:
    """The flat-form steps (waits included) of the benchmark pipeline: 50 commands a section."""
    steps: list[dict[str, Any]] = []
    for section in range(sections):
        if section:
            steps.append({"type": "wait"})
        for root in range(ROOTS):
            parent = None
            for link in range(CHAIN):
                key = f"s{section}-r{root}-c{link}"
                steps.append({"type": "command", "key": key, "cmd": "true", "builds_in": parent})
                parent = key
            fork_parent = parent
            for fork in range(FORKS):
                parent = fork_parent
                for link in range(FORK_CHAIN):
                    key = f"s{section}-r{root}-f{fork}-{link}"
                    steps.append(
                        {"type": "command", "key": key, "cmd": "true", "builds_in": parent}
                    )
                    parent = key
    return steps


def makefile(steps: list[dict[str, Any]]) -> str:
    """The same graph as make targets: parents and everything before a wait are prerequisites."""
    rules = []
    before: list[str] = []
    barrier: list[str] = []
    for step in steps:
        if step["type"] == "wait":
            barrier = list(before)
            continue
        needs = [step["builds_in"]] if step["builds_in"] else []
        if step["builds_in"] is None:
            needs += barrier
        rules.append(f"{step['key']}: {' '.join(needs)}\n\t@{step['cmd']}\n")
        before.append(step["key"])
    phony = " ".join(s["key"] for s in steps if s["type"] == "command")
    return f".PHONY: all {phony}\nall: {phony}\n" + "".join(rules)


def timed(argv: list[str], cwd: Path, repeat: int) -> float:
    """Median wall seconds of running *argv* *repeat* times (output discarded)."""
    return cpu_and_wall(argv, cwd, repeat)[1]


def cpu_and_wall(argv: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """
    Median CPU seconds (user + system of *argv* and its children) and median wall seconds.

    On a busy machine the wall time mostly measures the other processes; CPU time does not.
    """
    cpus, walls = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu(before))
    return statistics.median(cpus), statistics.median(walls)


def breakdown(workdir: Path, jobs: int, steps: int) -> tuple[dict[str, float], float, float]:
    """
    Seconds spent in each phase of one in-process build of the benchmark pipeline, and the
    CPU seconds from its ``build_start`` to its ``build_end`` spent in hm itself and in the
    processes it spawned (the steps).
    """
    import harmont
    from harmont._ir._load import load_ir
    from harmont._ir._plan import plan
    from harmont._orchestrator._source import pack_source
    from harmont._plugins._manager import load_registry
    from harmont.protocol import BuildEnd, BuildStart

    phases: dict[str, float] = {}
    started = time.perf_counter()
    ir = load_ir(workdir / "pipeline.json")
    phases["load IR"] = time.perf_counter() - started
    started = time.perf_counter()
    registry = load_registry()
    phases["load plugins"] = time.perf_counter() - started
    started = time.perf_counter()
    plan(ir, default_runner="local", runners=registry.runners())
    phases["plan"] = time.perf_counter() - started
    registry.close()
    started = time.perf_counter()
    pack_source(workdir)
    phases["pack source"] = time.perf_counter() - started

    marks: dict[str, float] = {}
    usage: dict[str, tuple[float, float]] = {}

    def mark(event: object) -> None:
        if isinstance(event, BuildStart | BuildEnd):
            marks[type(event).__name__] = time.perf_counter()
            usage[type(event).__name__] = (
                _cpu(resource.getrusage(resource.RUSAGE_SELF)),
                _cpu(resource.getrusage(resource.RUSAGE_CHILDREN)),
            )

    started = time.perf_counter()
    harmont.run(
        Path(workdir / "pipeline.json"),
        directory=workdir,
        runner="local",
        parallelism=jobs,
        on_event=mark,
    )
    ended = time.perf_counter()
    own_cpu = usage["BuildEnd"][0] - usage["BuildStart"][0]
    spawned_cpu = usage["BuildEnd"][1] - usage["BuildStart"][1]
    phases["run(): before build_start"] = marks["BuildStart"] - started
    phases[f"run(): schedule {steps} steps"] = marks["BuildEnd"] - marks["BuildStart"]
    phases["run(): after build_end"] = ended - marks["BuildEnd"]
    return phases, own_cpu, spawned_cpu


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def startup(repeat: int) -> tuple[float, float]:
    """Median seconds of `python -c pass` and of importing the `hm run` code path."""
    bare = timed([sys.executable, "-c", "pass"], Path.cwd(), repeat)
    imports = timed(
        [
            sys.executable,
            "-c",
            "import harmont_cli._app, harmont._orchestrator._run, "
            "harmont._executors.local, harmont._renderers._json",
        ],
        Path.cwd(),
        repeat,
    )
    return bare, imports


def dag_options(doc: str) -> tuple[argparse.Namespace, list[dict[str, Any]], int]:
    """
    The options of a bench of the DAG (``--jobs``, ``--repeat``, ``--sections``), described
    by the first paragraph of *doc*; with the DAG's steps and how many are commands.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sections", type=int, default=SECTIONS, help="50 steps each")
    args = parser.parse_args()
    steps = dag(args.sections)
    return args, steps, sum(step["type"] == "command" for step in steps)


def main() -> None:
    args, steps, count = dag_options(__doc__)
    with tempfile.TemporaryDirectory(prefix="hm-bench-") as tmp:
        # Each tool reads its own pipeline in a directory of its own: hm's source (what it
        # packs and clones into every chain) is its pipeline alone, as make's is its Makefile
        # (which grows with the square of the steps a wait orders).
        workdir, makedir = Path(tmp) / "hm", Path(tmp) / "make"
        workdir.mkdir()
        makedir.mkdir()
        (workdir / "pipeline.json").write_text(json.dumps({"version": "0", "steps": steps}))
        (makedir / "Makefile").write_text(makefile(steps))
        hm = [
            sys.executable,
            "-m",
            "harmont_cli",
            "run",
            "pipeline.json",
            "--runner",
            "local",
            "--format",
            "json",
            "--parallelism",
            str(args.jobs),
        ]
        make = ["make", "-s", "-j", str(args.jobs), "all"]
        floor = [sys.executable, str(FLOOR), "pipeline.json", str(args.jobs)]
        no_docker = [*hm[:3], "-p", "no:docker", *hm[3:]]
        hm_cpu, hm_seconds = cpu_and_wall(hm, workdir, args.repeat)
        no_docker_seconds = timed(no_docker, workdir, args.repeat)
        make_cpu, make_seconds = cpu_and_wall(make, makedir, args.repeat)
        floor_cpu, floor_seconds = cpu_and_wall(floor, workdir, args.repeat)
        bare, imports = startup(args.repeat)
        phases, own_cpu, spawned_cpu = breakdown(workdir, args.jobs, count)
        from harmont._executors._tree_clone import probe

        # Where the local runner makes its chains: the temporary directory.
        clone = probe(Path(tempfile.gettempdir()))

    def ratio(seconds: float) -> str:
        return f"{seconds * 1000:8.1f} ms  x{seconds / make_seconds:.2f} of make"

    print(
        f"{count} steps, -j {args.jobs}, median of {args.repeat} runs; baseline make -j {args.jobs}"
    )
    print(f"  make -j {args.jobs}                       {ratio(make_seconds)}")
    print(f"  hm run --runner local            {ratio(hm_seconds)}  (goal: <= x1.5)")
    print(f"  hm -p no:docker run              {ratio(no_docker_seconds)}")
    print(f"  bare Python spawner (the floor)  {ratio(floor_seconds)}")
    print(
        f"  CPU time, hm and its steps       {hm_cpu * 1000:8.1f} ms"
        f"  x{hm_cpu / make_cpu:.2f} of make's {make_cpu * 1000:.1f} ms"
    )
    print(
        f"  CPU time, the floor              {floor_cpu * 1000:8.1f} ms"
        f"  x{floor_cpu / make_cpu:.2f} of make's"
    )
    print(f"  chain directories made by: {clone} (reflink where the file system shares extents)")
    print("where hm's time goes:")
    print(f"  python -c pass                   {ratio(bare)}")
    print(f"  + imports of the run path        {ratio(imports - bare)}")
    for name, seconds in phases.items():
        print(f"  {name:<32} {ratio(seconds)}")
    per_step = phases[f"run(): schedule {count} steps"] / count * args.jobs
    make_per_step = make_seconds / count * args.jobs
    print(
        f"  per step (schedule x jobs / steps) {per_step * 1000:6.2f} ms"
        f"  x{per_step / make_per_step:.2f} of make's {make_per_step * 1000:.2f} ms"
    )
    make_cpu_step = make_cpu / count
    print(
        f"  CPU per step (schedule / steps)  {(own_cpu + spawned_cpu) / count * 1000:6.2f} ms"
        f"  x{(own_cpu + spawned_cpu) / count / make_cpu_step:.2f} of make's"
        f" {make_cpu_step * 1000:.2f} ms (make and its shells, start-up included)"
    )
    print(
        f"    hm: {own_cpu / count * 1000:.2f} ms; the step's sh -c, spawned by hm:"
        f" {spawned_cpu / count * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
