"""A step's output streams through `hm run`: memory does not grow with the number of lines."""

from __future__ import annotations

import resource
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


@pytest.mark.slow
def test_a_million_lines_keep_hm_small_and_replay_only_the_tail(local_project: Project) -> None:
    """A failing step printing 1,000,000 lines peaks under 150 MB and replays its tail."""
    local_project.pipeline(command("loud", f"seq 1 {_LINES}; exit 3"))

    done = subprocess.run(
        [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--runner", "local"],
        cwd=local_project.root,
        env=local_project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS * 3,
        check=False,
    )
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    lines = done.stderr.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("--- loud: exit 3")))
    assert (1, f"({_LINES - REPLAY_LINES} earlier lines not shown)", str(_LINES)) == (
        done.returncode,
        lines[start + 1],
        lines[start + 1 + REPLAY_LINES],
    )
    assert peak_kb < _RSS_LIMIT_KB, f"hm peaked at {peak_kb // 1024} MB"
