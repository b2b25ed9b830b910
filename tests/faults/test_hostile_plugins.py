"""
Fault injection: hostile plugins misbehave in every way we know of, through real `hm run`.

Each case runs a two-chain build with ``--keep-going`` on the runner under test: one step
on the hostile runner, and a bystander step on the runner under test. For each fault, the
build exits with the documented code, the hostile step's failure is one line naming what
happened, the bystander still passes, and nothing is left behind: no process, no
``hm-local-*`` directory, no container of the run.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Final

import attrs
import pytest

from harmont.protocol import ChainFailed, StepEnd
from tests.run.rig import command, containers_of, run_id_of, survivors

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project

pytestmark = pytest.mark.faults

#: The hostile step's time limit: a hanging plugin must be stopped by it.
_STEP_TIMEOUT: Final = 2


@attrs.frozen
class Fault:
    """One way to misbehave, and what `hm` must make of it."""

    #: The value of HM_FAULT.
    name: str
    #: The build's exit code.
    exit_code: int
    #: Words the hostile step's one-line failure must hold (None: the step passes).
    message: str | None
    #: The hostile step's exit code in its step_end.
    step_exit: int = 1


#: Faults of the Python plugin. It runs in hm's process: a crash would be hm's.
PYTHON: Final = (
    Fault("raise", 6, "plugin 'hostile-py' raised RuntimeError during 'execute_step'"),
    Fault("exit", 6, "plugin 'hostile-py' raised SystemExit during 'execute_step'"),
    Fault("interrupt", 6, "plugin 'hostile-py' raised KeyboardInterrupt during 'execute_step'"),
    Fault("garbage", 6, "plugin 'hostile-py'"),
    Fault("hang", 1, f"timed out after {_STEP_TIMEOUT}s", step_exit=124),
)
#: Faults of the native plugin loaded in hm's process: what the host can contain there.
NATIVE: Final = (
    Fault("raise", 6, "plugin 'hostile-c' failed during 'execute_step': hostile plugin refused"),
    Fault("garbage", 6, "plugin 'hostile-c'"),
    Fault("huge", 6, "plugin 'hostile-c'"),
    Fault("hang", 1, f"timed out after {_STEP_TIMEOUT}s", step_exit=124),
)
#: Faults of the native plugin in its own worker process: crashes and exits included.
ISOLATED: Final = (
    *NATIVE,
    Fault("exit", 6, "plugin 'hostile-c'"),
    Fault("crash", 6, "SIGSEGV"),
    Fault("fork", 0, None, step_exit=0),
)


def _cases() -> list[object]:
    return [
        pytest.param(kind, fault, id=f"{kind}-{fault.name}")
        for kind, faults in (("python", PYTHON), ("native", NATIVE), ("isolated", ISOLATED))
        for fault in faults
    ]


@pytest.mark.parametrize(("kind", "fault"), _cases())
def test_hostile_plugin_fails_its_step_only_and_leaves_nothing(  # noqa: PLR0917 - fixtures
    project: Project,
    tmp_path: Path,
    kind: str,
    fault: Fault,
    native_plugin_dir: Path,
    python_plugin_site: Path,
) -> None:
    """The documented exit code, a one-line failure, a passing bystander, no leftovers."""
    marker = str(900_000_000 + uuid.uuid4().int % 100_000_000)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    project.env.update(
        HM_FAULT=fault.name,
        HM_FAULT_MARKER=marker,
        TMPDIR=str(private_tmp),
        PYTHONPATH=os.pathsep.join(
            [str(python_plugin_site), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        HM_PLUGIN_PATH=str(native_plugin_dir),
        HM_NATIVE_ISOLATION="process" if kind == "isolated" else "in-process",
    )
    hostile = "hostile-py" if kind == "python" else "hostile-c"
    project.pipeline(
        command("hostile", "true", runner=hostile, timeout_seconds=_STEP_TIMEOUT),
        command("bystander", "echo fine"),
    )

    build = project.hm("--keep-going")

    keys = build.keys()
    ends = {keys[end.step_id]: end.exit_code for end in build.of(StepEnd)}
    failures = {failed.failed_step_key: failed.message for failed in build.of(ChainFailed)}
    assert fault.exit_code == build.returncode, build.stderr
    assert {"hostile": fault.step_exit, "bystander": 0} == ends
    assert ["fine"] == build.logs("bystander")
    assert "Traceback" not in build.stderr
    if fault.message is None:
        assert {} == failures
    else:
        assert ["hostile"] == list(failures)
        assert fault.message in failures["hostile"]
        assert "\n" not in failures["hostile"]
    assert [] == survivors(marker)
    assert [] == list(private_tmp.iterdir())
    if project.runner == "docker":
        assert [] == containers_of(run_id_of(build.stdout))
