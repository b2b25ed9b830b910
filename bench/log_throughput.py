"""
Step output at pipe speed: one step printing N lines, through `--logs` and `--format json`.

The step is ``cat`` of a file of N lines (60 bytes each, outside the project so the
source stays small). The baseline is the same ``cat`` piped through a second ``cat``, the
least any tool that relays output can cost. The script prints hm's lines per second on
each path and its time as a ratio to the baseline, then hm's peak memory for N lines as a
ratio to its peak for N/10 lines: output is streamed, never gathered, so that ratio stays
near 1 however large N is.

Run: ``python bench/log_throughput.py [--lines N] [--repeat R]``.
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

LINE = b"2026-01-01T00:00:00Z build: compiling module %07d of the tree\n"


def write_lines(path: Path, count: int) -> None:
    """Write ``count`` numbered log-like lines to ``path``."""
    with path.open("wb") as out:
        for start in range(0, count, 10_000):
            out.write(b"".join(LINE % n for n in range(start, min(start + 10_000, count))))


def hm_command(project: Path, data: Path, *flags: str) -> list[str]:
    """`hm run` of a one-step pipeline that prints ``data``, with ``flags``."""
    pipeline = {
        "version": "0",
        "steps": [{"type": "command", "key": "print", "cmd": f"cat '{data}'"}],
    }
    (project / "pipeline.json").write_text(json.dumps(pipeline))
    return [
        sys.executable,
        "-m",
        "harmont_cli",
        "run",
        "pipeline.json",
        "--runner",
        "local",
        *flags,
    ]


def timed(argv: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """
    Median wall seconds and median CPU seconds (user + system, the command and its
    children) of ``repeat`` runs of ``argv``, its output thrown away. On a busy machine
    the wall time mostly measures the others; the CPU time does not.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        before = _children_cpu()
        started = time.perf_counter()
        subprocess.run(
            argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_kib(argv: list[str], cwd: Path) -> int:
    """The peak resident set of one run of ``argv`` (a fresh child each time), in KiB."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv], cwd=cwd, check=True, capture_output=True, text=True
    )
    return int(done.stdout)


def main() -> None:
    """Measure and print each path's throughput and its ratio to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hm-bench-") as tmp:
        root = Path(tmp)
        project = root / "project"
        project.mkdir()
        data, small = root / "lines.txt", root / "small.txt"
        write_lines(data, args.lines)
        write_lines(small, max(args.lines // 10, 1))
        baseline, baseline_cpu = timed(["sh", "-c", f"cat '{data}' | cat"], root, args.repeat)
        print(f"{args.lines} lines ({data.stat().st_size >> 20} MiB), median of {args.repeat}")
        print(
            f"  baseline: cat | cat            {baseline * 1000:8.1f} ms  x1.00"
            f"  (cpu {baseline_cpu * 1000:.0f} ms)"
        )
        for label, flags, goal in (
            ("hm run --logs", ("--logs",), 200_000),
            ("hm run --format json", ("--format", "json"), 150_000),
        ):
            seconds, cpu = timed(hm_command(project, data, *flags), project, args.repeat)
            rate, cpu_rate = args.lines / seconds, args.lines / max(cpu, 1e-9)
            print(
                f"  {label:<28} {seconds * 1000:8.1f} ms  x{seconds / baseline:.2f}"
                f"  {rate / 1000:6.0f}k lines/s, x{rate / goal:.2f} of the goal"
                f" ({goal // 1000}k)"
            )
            print(
                f"    per CPU second (hm and its step): {cpu_rate / 1000:6.0f}k lines/s,"
                f" x{cpu_rate / goal:.2f} of the goal"
            )
            big = peak_rss_kib(hm_command(project, data, *flags), project)
            little = peak_rss_kib(hm_command(project, small, *flags), project)
            print(
                f"    peak memory: {big >> 10} MiB for N lines, x{big / little:.2f}"
                " of N/10 lines (flat: near x1)"
            )


if __name__ == "__main__":
    main()
