"""The local runner end to end: what only it does (images, directories, environment)."""

from __future__ import annotations

import shutil
import sys
from typing import TYPE_CHECKING

from harmont.protocol import StepEnd, StepQueued
from tests.run.rig import command, survivors
from tests.terminal import Terminal

if TYPE_CHECKING:
    from pathlib import Path

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

    def test_step_env_is_minimal(self, local_project: Project) -> None:
        """A step sees PATH, HOME, LANG and its own env, not the caller's other variables."""
        local_project.env["LEAKED_FROM_CALLER"] = "yes"
        local_project.pipeline(command("env", 'echo "${LEAKED_FROM_CALLER:-absent} $HOME"'))

        build = local_project.hm()

        assert [f"absent {local_project.env['HOME']}"] == build.logs("env")


class TestStepProcesses:
    """Each step is `sh -c` spawned by `hm`: a group of its own, no terminal, its own env."""

    def test_steps_are_groups_and_their_children_die_with_them(
        self, local_project: Project
    ) -> None:
        """Own group, not `hm`'s; a child left behind dies at the step's end."""
        local_project.pipeline(
            command(
                "grouped",
                # Field 5 of /proc/PID/stat is the process group ("sh" holds no space).
                "pgid() { read -r _ _ _ _ group _ </proc/$1/stat; echo $group; }; "
                "pgid $$; pgid $PPID; echo $$; "
                "sleep 733113 & sleep 733114 >/dev/null 2>&1 & echo started",
            ),
            command("after", "echo after", builds_in="grouped"),
        )

        build = local_project.hm()
        [own_group, hm_group, pid, _] = build.logs("grouped")

        assert 0 == build.returncode, build.stderr
        assert own_group == pid
        assert hm_group != own_group
        assert ["after"] == build.logs("after")
        assert [] == survivors("sleep 73311")

    def test_a_step_sees_no_locale_variable_it_did_not_set(self, local_project: Project) -> None:
        """Under a C locale Python sets LC_CTYPE in `hm` itself: no step inherits it."""
        for name in ("LC_ALL", "LC_CTYPE", "PYTHONCOERCECLOCALE", "PYTHONUTF8"):
            local_project.env.pop(name, None)
        local_project.env["LANG"] = "C"
        local_project.pipeline(
            command("plain", 'echo "[${LC_CTYPE-unset}] [$LANG]"'),
            command("own", 'echo "[${LC_CTYPE-unset}]"', env={"LC_CTYPE": "C"}),
        )

        build = local_project.hm()

        assert 0 == build.returncode, build.stderr
        assert (["[unset] [C]"], ["[C]"]) == (build.logs("plain"), build.logs("own"))

    def test_a_step_has_no_terminal(self, local_project: Project) -> None:
        """`hm` on a terminal: a step cannot open it, so a prompt fails instead of stopping it."""
        local_project.pipeline(
            command(
                "tty", "if (exec 3</dev/tty) 2>/dev/null; then echo has-tty; else echo no-tty; fi"
            )
        )
        argv = [sys.executable, "-m", "harmont_cli", "run", "pipeline.json", "--logs"]
        terminal = Terminal(
            [*argv, "--runner", "local"], cwd=local_project.root, env=local_project.env
        )
        try:
            status = terminal.wait()
        finally:
            terminal.close()

        assert (0, ["no-tty"]) == (
            status,
            [line.split()[-1] for line in terminal.screen.splitlines() if "-tty" in line],
        ), terminal.screen


class TestStepShell:
    """A step's `sh` is the one on its own PATH, else `hm`'s: a PATH without one still runs."""

    def test_a_path_without_sh_fails_the_step_as_command_not_found(
        self, local_project: Project
    ) -> None:
        """PATH=/nonexistent: `hm`'s sh starts the step, which fails 127 on its command."""
        local_project.pipeline(command("lost", "cat /dev/null", env={"PATH": "/nonexistent"}))

        build = local_project.hm()

        assert 1 == build.returncode, build.stderr
        assert [127] == [end.exit_code for end in build.of(StepEnd)]

    def test_the_sh_on_the_steps_path_is_used(self, local_project: Project, tmp_path: Path) -> None:
        """A PATH that leads to another sh: that one runs the step."""
        real_sh = shutil.which("sh")
        assert real_sh is not None
        own = tmp_path / "own-bin"
        own.mkdir()
        (own / "sh").write_text(f'#!{real_sh}\necho own-sh\nexec {real_sh} "$@"\n')
        (own / "sh").chmod(0o755)
        path = f"{own}:{local_project.env['PATH']}"
        local_project.pipeline(command("custom", "echo step", env={"PATH": path}))

        build = local_project.hm()

        assert 0 == build.returncode, build.stderr
        assert ["own-sh", "step"] == build.logs("custom")

    def test_no_sh_on_hms_path_is_a_preflight_error(self, local_project: Project) -> None:
        """Without an sh for steps to fall back on, the build does not start: one error."""
        local_project.env["PATH"] = "/nonexistent"
        local_project.pipeline(command("never", "true"))

        build = local_project.hm()

        assert 6 == build.returncode, build.stderr
        assert "no 'sh' on PATH" in build.stderr
        assert "hint:" in build.stderr
        assert [] == build.events
