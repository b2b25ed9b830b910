"""A step's output streams through `hm run`: memory does not grow with the number of lines."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from harmont._renderers._view import REPLAY_LINES
from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from tests.run.rig import Project

_LINES = 1_000_000
#: Peak RSS allowed for `hm run`; it was 242 MB when every line was kept.
_RSS_LIMIT_KB = 150 * 1024

_HM_RUN = (sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "local")

#: Runs `hm` and reports its peak RSS. RUSAGE_CHILDREN of the test process itself would
#: include every child any earlier test of this worker waited for (pip, cargo...); this
#: wrapper's only children are `hm` and its steps.
_MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps([done.returncode, done.stderr, peak]))
"""


@pytest.mark.slow
def test_a_million_lines_keep_hm_small_and_replay_only_the_tail(local_project: Project) -> None:
    """A failing step printing 1,000,000 lines peaks under 150 MB and replays its tail."""
    local_project.pipeline(command("loud", f"seq 1 {_LINES}; exit 3"))

    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, *_HM_RUN],
        cwd=local_project.root,
        env=local_project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS * 3,
        check=True,
    )
    returncode, stderr, peak_kb = json.loads(measured.stdout)

    lines = stderr.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("--- loud: exit 3")))
    assert (1, f"({_LINES - REPLAY_LINES} earlier lines not shown)", str(_LINES)) == (
        returncode,
        lines[start + 1],
        lines[start + 1 + REPLAY_LINES],
    )
    assert peak_kb < _RSS_LIMIT_KB, f"hm peaked at {peak_kb // 1024} MB"
