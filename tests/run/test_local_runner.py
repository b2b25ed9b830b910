"""The local runner end to end: what only it does (images, directories, environment)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont.protocol import StepQueued
from tests.run.rig import command, survivors

if TYPE_CHECKING:
    from tests.run.rig import Project


class TestLocalRunner:
    def test_image_is_ignored_with_one_warning(self, local_project: Project) -> None:
        """Steps naming images run on the host, and the user is warned once per run."""
        local_project.pipeline(
            command("a", "true", image="alpine:3"),
            command("b", "true", image="debian:12"),
        )

        build = local_project.hm()

        # The two chains start together: the warning names whichever step ran first.
        assert 0 == build.returncode, build.stderr
        [warning] = [line for line in build.stderr.splitlines() if line.startswith("warning:")]
        assert warning in {
            "warning: local: images are ignored: step 'a' names 'alpine:3'",
            "warning: local: images are ignored: step 'b' names 'debian:12'",
        }
        assert 2 == len(build.of(StepQueued))

    def test_the_dsl_default_image_draws_no_warning(self, local_project: Project) -> None:
        """The image the DSL stamps on roots that name none is not the user's: no warning."""
        (local_project.root / ".harmont").mkdir()
        (local_project.root / ".harmont" / "ci.py").write_text(
            "import harmont as hm\n\n\n@hm.pipeline('ci')\n"
            "def ci():\n    return [hm.sh('true', label='prepare')]\n"
        )

        build = local_project.hm("run", "ci", "--runner", "local", raw=True)

        assert (0, []) == (
            build.returncode,
            [line for line in build.stderr.splitlines() if line.startswith("warning:")],
        )

    def test_run_directories_are_removed(self, local_project: Project, tmp_path: Path) -> None:
        """Nothing of a run is left in the temporary directory once it ends."""
        scratch = tmp_path / "tmp"
        scratch.mkdir()
        local_project.env["TMPDIR"] = str(scratch)
        local_project.pipeline(
            command("root", "echo x > x"),
            command("left", "true", builds_in="root"),
            command("right", "exit 1", builds_in="root"),
        )

        build = local_project.hm("--keep-going")

        assert 1 == build.returncode
        assert [] == list(scratch.iterdir())

    def test_step_output_goes_through_the_runtime_dir_and_nothing_is_left_there(
        self, local_project: Project
    ) -> None:
        """The steps' FIFOs are in $XDG_RUNTIME_DIR, and their directory goes at the end."""
        runtime = Path(local_project.env["XDG_RUNTIME_DIR"])
        local_project.pipeline(command("where", "readlink /proc/self/fd/1"))

        build = local_project.hm()

        [fifo] = build.logs("where")
        assert Path(fifo).parent.name.startswith("hm-fifos-")
        assert Path(fifo).parent.parent == runtime
        assert [] == list(runtime.iterdir())

    @pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm here")
    def test_without_a_runtime_dir_step_output_goes_through_dev_shm(
        self, local_project: Project
    ) -> None:
        """No $XDG_RUNTIME_DIR: the FIFOs are in /dev/shm, in memory all the same."""
        del local_project.env["XDG_RUNTIME_DIR"]
        local_project.pipeline(command("where", "readlink /proc/self/fd/1"))

        build = local_project.hm()

        [fifo] = build.logs("where")
        assert Path(fifo).parent.parent == Path("/dev/shm")
        assert not Path(fifo).parent.exists()

    def test_step_env_is_minimal(self, local_project: Project) -> None:
        """A step sees PATH, HOME, LANG and its own env, not the caller's other variables."""
        local_project.env["LEAKED_FROM_CALLER"] = "yes"
        local_project.pipeline(command("env", 'echo "${LEAKED_FROM_CALLER:-absent} $HOME"'))

        build = local_project.hm()

        assert [f"absent {local_project.env['HOME']}"] == build.logs("env")


@pytest.fixture
def no_setsid_path(tmp_path: Path) -> Path:
    """A ``PATH`` directory of busybox's applets, every one but ``setsid``."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed (.ci/run installs busybox-static)")
    listed = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in listed.stdout.split():
        if applet != "setsid":
            (bin_dir / applet).symlink_to(busybox)
    return bin_dir


class TestWithoutSetsid:
    """With no ``setsid`` command anywhere, a step is still a process group of its own."""

    def test_steps_are_groups_and_their_children_die_with_them(
        self, local_project: Project, no_setsid_path: Path
    ) -> None:
        """Own group, not the session's; a child left behind dies at the step's end."""
        local_project.env["PATH"] = str(no_setsid_path)
        local_project.pipeline(
            command(
                "grouped",
                # Field 5 of /proc/PID/stat is the process group ("sh" holds no space).
                "pgid() { read -r _ _ _ _ group _ </proc/$1/stat; echo $group; }; "
                "pgid $$; pgid $PPID; echo $$; "
                "sleep 733113 & sleep 733114 >/dev/null 2>&1 & "
                'echo "[${LC_CTYPE-unset}]"',
                env={"LANG": "C"},
            ),
            command("after", "echo after", builds_in="grouped"),
        )

        build = local_project.hm()
        [own_group, session_group, pid, locale] = build.logs("grouped")

        assert 0 == build.returncode, build.stderr
        assert not shutil.which("setsid", path=local_project.env["PATH"])
        assert (own_group, "[unset]") == (pid, locale)
        assert session_group != own_group
        assert ["after"] == build.logs("after")
        assert [] == survivors("sleep 73311")
