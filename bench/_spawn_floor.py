"""
The least any Python program can spend running a flat-form pipeline's steps: a baseline.

It reads the same ``pipeline.json`` as ``hm run`` and runs its steps the way `hm`'s local
runner must, and in nothing else: each step is ``sh -c cmd`` started by
:class:`subprocess.Popen` as a new session with stdin ``/dev/null`` and its stdout and
stderr on two pipes read to their end; a step starts once its ``builds_in`` parent has
passed; a ``wait`` lets no later step start until every earlier one has ended; at most N
steps run at once. No plugins, no events, no directories, no output: what is left of `hm`'s
time over this program's is what `hm` itself costs, and this program's over ``make``'s is
what a CPython host costs before it does anything of its own.

Run by bench/run_overhead.py: ``python bench/_spawn_floor.py pipeline.json N``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import defaultdict
from typing import Any


def _run(cmd: str) -> int:
    """
    Run one step; its exit status, 127 (as sh's for a command not found) if it could not
    be started: a worker that raised would leave the others waiting for its steps forever.
    """
    try:
        step = subprocess.Popen(
            ("sh", "-c", cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        step.communicate()
    except OSError:
        return 127
    return step.returncode


def _sections(steps: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The steps between waits, in order."""
    sections: list[list[dict[str, Any]]] = [[]]
    for step in steps:
        if step["type"] == "wait":
            sections.append([])
        else:
            sections[-1].append(step)
    return sections


def _run_section(section: list[dict[str, Any]], jobs: int) -> list[str]:
    """
    Run one section's steps, each after its parent, *jobs* at a time; the keys of those that
    failed (their chains stop there, and their steps count as ended).
    """
    keys = {step["key"] for step in section}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for step in section:  # a parent before a wait has ended: the step is a root here
        parent = step.get("builds_in")
        children[parent if parent in keys else None].append(step)
    ready = list(reversed(children[None]))
    left = len(section)
    failed: list[str] = []
    lock = threading.Condition()

    def chain_size(step: dict[str, Any]) -> int:
        return 1 + sum(chain_size(child) for child in children[step["key"]])

    def worker() -> None:
        nonlocal left
        while True:
            with lock:
                while not ready and left:
                    lock.wait()
                if not left:
                    return
                step = ready.pop()
            while step is not None:  # a chain runs on one worker, as `hm`'s do
                status = _run(step["cmd"])
                following = children[step["key"]]
                with lock:
                    if status:
                        failed.append(step["key"])
                        left -= chain_size(step)
                        following = []
                    else:
                        left -= 1
                        ready.extend(reversed(following[1:]))
                    lock.notify_all()
                step = following[0] if following else None

    workers = [threading.Thread(target=worker) for _ in range(jobs)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return failed


def main() -> int:
    """Run the pipeline; 1 if a step failed (the rest of the build is not run), else 0."""
    path, jobs = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as file:  # noqa: PTH123 (pathlib costs an import)
        steps = json.load(file)["steps"]
    for section in _sections(steps):
        failed = _run_section(section, jobs)
        if failed:
            print(f"steps failed: {', '.join(failed)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
