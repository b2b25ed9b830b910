"""
What hm's own host costs per step: the 300-step DAG of run_overhead.py through a runner that
does nothing.

The build runs in process through ``harmont.run()`` with its imports done, on an executor
plugin registered as any plugin is (``plugins=[...]``) whose ``hm_execute_step`` returns
exit 0 at once: no process, no file, so what is left is the scheduler, the event bus, the
cache verdicts, the plugin call path and the JSON renderer (writing to ``/dev/null``), as
``hm run --format json`` wires them. Printed: hm's CPU time (every thread of this process)
and wall time per step, each as a ratio to a baseline measured in the same script, the
floor any threaded scheduler pays: one hand-off per step to a thread pool worker and back
(``ThreadPoolExecutor.submit(...).result()``), with a bare pluggy call for scale.

Run: ``python bench/host_overhead.py [--jobs N] [--repeat R] [--sections S]``.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final

from run_overhead import dag_options

import harmont
from harmont._orchestrator._bus import takes_log_batches
from harmont._renderers._json import JsonRenderer
from harmont.protocol import BuildEnd, BuildStart
from harmont_sdk import StepExecutor, StepResult, executor, manifest

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont import PluginContext
    from harmont._orchestrator._result import RunEvent
    from harmont._plugins._step_output import StepLogBatch
    from harmont.protocol import ExecutorInput

#: The runner the bench's plugin provides.
RUNNER: Final = "bench-null"


class NullRunner(StepExecutor):
    """A runner that succeeds at once: the step costs the host alone."""

    manifest = manifest("bench-null", "1.0.0", executor(RUNNER))

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        return StepResult(exit_code=0)


def cpu() -> float:
    """CPU seconds of this process so far, every thread's."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(call: Callable[[], object]) -> Callable[[], tuple[float, float]]:
    """A sample of *call*: the CPU and wall seconds of one run of it."""

    def sample() -> tuple[float, float]:
        cpu_before, wall_before = cpu(), time.perf_counter()
        call()
        return cpu() - cpu_before, time.perf_counter() - wall_before

    return sample


def medians(
    samples: list[Callable[[], tuple[float, float]]], repeat: int
) -> list[tuple[float, float]]:
    """
    The median (CPU, wall) of each sample, taken *repeat* times after one warm-up, in
    turns: a load that drifts during the measurement weighs on all of them alike.
    """
    for sample in samples:
        sample()
    taken: list[list[tuple[float, float]]] = [[] for _ in samples]
    for _ in range(repeat):
        for sample, figures in zip(samples, taken, strict=True):
            figures.append(sample())
    return [
        (statistics.median(c for c, _ in figures), statistics.median(w for _, w in figures))
        for figures in taken
    ]


def build(workdir: Path, jobs: int, out: object) -> tuple[float, float]:
    """
    One build of the pipeline in *workdir*, rendered as JSON to *out*; the CPU and wall
    seconds from ``build_start`` to ``build_end``, the schedule alone.
    """
    renderer = JsonRenderer(out, out)  # type: ignore[arg-type]
    marks: dict[str, tuple[float, float]] = {}

    @takes_log_batches
    def on_event(event: RunEvent | StepLogBatch) -> None:
        if isinstance(event, BuildStart | BuildEnd):
            marks[type(event).__name__] = (cpu(), time.perf_counter())
        renderer.on_event(event)

    result = harmont.run(
        workdir / "pipeline.json",
        directory=workdir,
        runner=RUNNER,
        parallelism=jobs,
        plugins=[NullRunner()],
        on_event=on_event,
    )
    assert result.exit_code == 0, result
    (cpu_start, wall_start), (cpu_end, wall_end) = marks["BuildStart"], marks["BuildEnd"]
    return cpu_end - cpu_start, wall_end - wall_start


def handoffs(steps: int, jobs: int) -> Callable[[], object]:
    """The baseline: each step one hand-off to a pool thread and back, *jobs* at a time."""

    def chain(count: int) -> None:
        with ThreadPoolExecutor(1) as pool:
            for _ in range(count):
                pool.submit(int).result()

    def run() -> None:
        per = [steps // jobs + (i < steps % jobs) for i in range(jobs)]
        threads = [threading.Thread(target=chain, args=(n,)) for n in per]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return run


def pluggy_calls(steps: int) -> Callable[[], object]:
    """For scale: *steps* bare pluggy calls of the null runner's hook."""
    import pluggy

    from harmont import hookspecs

    manager = pluggy.PluginManager("harmont")
    manager.add_hookspecs(hookspecs)
    manager.register(NullRunner())
    hook = manager.hook.hm_execute_step

    def run() -> None:
        for _ in range(steps):
            hook(context=None, executor_input=None)

    return run


def main() -> None:
    args, steps, count = dag_options(__doc__)
    with (
        tempfile.TemporaryDirectory(prefix="hm-bench-host-") as tmp,
        Path(os.devnull).open("wb") as out,
    ):
        workdir = Path(tmp)
        (workdir / "pipeline.json").write_text(json.dumps({"version": "0", "steps": steps}))
        figures = medians(
            [
                timed(handoffs(count, args.jobs)),
                timed(pluggy_calls(count)),
                lambda: build(workdir, args.jobs, out),
                timed(lambda: build(workdir, args.jobs, out)),
            ],
            args.repeat,
        )
        (base_cpu, base_wall), (call_cpu, call_wall), (hm_cpu, hm_wall), (run_cpu, run_wall) = (
            figures
        )

    def line(name: str, cpu_s: float, wall_s: float) -> str:
        return (
            f"  {name:<36} CPU {cpu_s / count * 1e6:7.1f} us/step  x{cpu_s / base_cpu:.2f}"
            f"   wall {wall_s / count * 1e6:7.1f} us/step  x{wall_s / base_wall:.2f}"
        )

    print(
        f"{count} steps, -j {args.jobs}, median of {args.repeat}; "
        "baseline: one thread-pool hand-off per step"
    )
    print(line("thread-pool hand-off (baseline)", base_cpu, base_wall))
    print(line("bare pluggy call", call_cpu, call_wall))
    print(line("harmont.run(): build_start..build_end", hm_cpu, hm_wall))
    print(line("harmont.run(): whole call", run_cpu, run_wall))


if __name__ == "__main__":
    main()
