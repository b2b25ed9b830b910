"""
Pipeline files that fork, crash or end the interpreter, through the real `hm pipelines`.

Discovery is over when its child answers or dies, whatever the processes a pipeline file
forked keep open; an interpreter that ends without answering is described by its exit
status or signal, and nothing it started survives.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Final

import pytest

from tests.run.rig import survivors

if TYPE_CHECKING:
    from tests.run.rig import Project

#: Well under discovery's 60 s limit: a discovery that waits for the forked process
#: to close the answer pipe runs into it and fails the test.
_BOUND_SECONDS: Final = 30

_PIPELINE: Final = """
import harmont as hm


@hm.pipeline("ci")
def ci():
    return [hm.sh("true")]
"""


def _slugs(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [entry["slug"] for entry in json.loads(done.stdout)["pipelines"]]


def _pipelines(project: Project, body: str) -> subprocess.CompletedProcess[str]:
    directory = project.root / ".harmont"
    directory.mkdir()
    (directory / "ci.py").write_text(body + _PIPELINE)
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", "pipelines"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=_BOUND_SECONDS,
        check=False,
    )


def test_fork_holding_the_answer_pipe_does_not_hold_discovery(local_project: Project) -> None:
    """A forked process that outlives the import neither delays the answer nor survives."""
    done = _pipelines(
        local_project,
        "import os, time\nif os.fork() == 0:\n    time.sleep(600)\n    os._exit(0)\n",
    )

    assert (0, ["ci"]) == (done.returncode, _slugs(done)), done.stderr
    assert [] == survivors(str(local_project.root))


def test_forks_that_run_on_do_not_answer_too(local_project: Project) -> None:
    """32 processes run the rest of the file: one answer, the importing interpreter's."""
    done = _pipelines(local_project, "import os\nfor _ in range(5):\n    os.fork()\n")

    assert (0, ["ci"]) == (done.returncode, _slugs(done)), done.stderr
    assert [] == survivors(str(local_project.root))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "import ctypes\nctypes.string_at(0)\n",
            [
                "error: the interpreter importing the pipeline files of {root} crashed (SIGSEGV)",
                "hint: a pipeline file, or a C extension it imports, crashed Python",
            ],
            id="crash",
        ),
        pytest.param(
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
            [
                "error: the interpreter importing the pipeline files of {root} was killed "
                "by SIGKILL",
                "hint: something outside hm killed it (the out-of-memory killer?)",
            ],
            id="killed",
        ),
        pytest.param(
            "import os\nos._exit(3)\n",
            [
                "error: the interpreter importing the pipeline files of {root} exited with "
                "status 3 before it could answer",
                "hint: a pipeline file ended the interpreter itself (os._exit?); raise an "
                "exception instead, and hm shows where",
            ],
            id="exit",
        ),
    ],
)
def test_interpreter_that_ends_without_answering_is_described(
    local_project: Project, body: str, expected: list[str]
) -> None:
    """No answer: the message says how the interpreter ended, in exit status or signal."""
    done = _pipelines(local_project, body)

    root = local_project.root.resolve()
    assert (2, [line.format(root=root) for line in expected]) == (
        done.returncode,
        done.stderr.splitlines(),
    )
