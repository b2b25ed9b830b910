"""
`hm debug` and `hm run -i` on a real terminal (a pty), on both runners: where the shell
lands, what Ctrl-C and a killed shell leave behind, and the refusal without a terminal.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.run.rig import command
from tests.terminal import Terminal

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.run.rig import Project

#: What the shell is asked to show, bracketed so the echo of the typed line never matches.
_PROBE = 'ls; echo "[V=$STEP_VAR P=$PIPE_VAR]"\n'


@pytest.fixture
def key() -> str:
    """A step key no other test uses: containers and directories are found by it."""
    return f"dbg-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """The terminals a test opens, killed if it left them running."""
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def _fork(project: Project, key: str, *, cmd: str = "echo mine > mine.txt") -> None:
    """setup writes parent.txt, then forks into *key* (env STEP_VAR) and sibling."""
    project.pipeline(
        command("setup", "echo from-parent > parent.txt"),
        command(key, cmd, builds_in="setup", env={"STEP_VAR": "step-value"}),
        command("sibling", "echo sibling > sibling.txt", builds_in="setup"),
        env={"PIPE_VAR": "pipe-value"},
    )


def _hm(project: Project, terminals: list[Terminal], tmp: Path, *args: str) -> Terminal:
    """`hm ARGS` on a new terminal; its local runs keep their directories under *tmp*."""
    tmp.mkdir(exist_ok=True)
    env = {**project.env, "TMPDIR": str(tmp)}
    argv = [sys.executable, "-m", "harmont_cli", *args, "--runner", project.runner]
    terminal = Terminal(argv, cwd=project.root, env=env)
    terminals.append(terminal)
    return terminal


def _leftovers(project: Project, key: str, tmp: Path) -> list[str]:
    """What a run of step *key* left: chain directories (local) or containers (docker)."""
    if project.runner == "local":
        return [str(path) for path in tmp.iterdir()]
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"name={key}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


class TestDebug:
    def test_the_shell_lands_where_the_step_runs(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """The parent's files are there, the sibling's are not, the step's env is set."""
        _fork(project, key)
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key)

        seen = shell.expect("the step's command:\r\n    echo mine > mine.txt")
        shell.expect("# ", after=seen)
        shell.type(_PROBE)
        end = shell.expect("[V=step-value P=pipe-value]", after=seen)
        shell.type("exit 7\n")

        assert 7 == shell.wait()
        listing = shell.screen[seen:end]
        assert ("parent.txt" in listing, "sibling.txt" in listing, "mine.txt" in listing) == (
            True,
            False,
            False,
        )
        assert [] == _leftovers(project, key, tmp_path / "t")

    def test_the_step_is_named_by_its_label_and_its_key(
        self, local_project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """As the build's lines show steps by label, so does the shell's announcement."""
        local_project.pipeline(command(key, "true", label="deploy the thing"))
        shell = _hm(local_project, terminals, tmp_path / "t", "debug", "pipeline.json", key)

        shell.expect("# ", after=shell.expect(f"step 'deploy the thing' ({key}): a shell"))
        shell.type("exit\n")

        assert 0 == shell.wait()

    def test_after_runs_the_command_first(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """--after runs the step's command, says how it exited, then opens the shell."""
        _fork(project, key, cmd="echo mine > mine.txt; exit 4")
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key, "--after")

        seen = shell.expect("the step's command exited with 4")
        shell.expect("# ", after=seen)
        shell.type("cat mine.txt; exit\n")
        shell.expect("mine\r\n", after=seen)

        assert 0 == shell.wait()

    def test_the_shells_status_is_not_the_steps(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """The step the shell replaced neither passed nor failed; hm exits with the shell."""
        _fork(project, key)
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key)
        seen = shell.expect("# ", after=shell.expect("the step's command:"))
        shell.type("exit 3\n")

        assert 3 == shell.wait()
        summary = shell.screen[seen:].splitlines()
        assert f"· {key}  not run: a debug shell" in "\n".join(summary)
        assert [] == [line for line in summary if "✗" in line or "failed" in line]
        assert ["build passed", "debug shell exited 3"] == [
            line.split(" in ")[0] for line in summary if line.startswith(("build ", "debug shell"))
        ]

    @pytest.mark.parametrize(
        ("cmd", "shell_exit", "step_line", "outcome"),
        [
            ("echo mine > mine.txt", 3, "✓ {key}  ", "build passed"),
            ("echo mine > mine.txt; exit 4", 0, "✗ {key}  exit 4", "build failed (exit 1)"),
        ],
    )
    def test_after_the_step_has_its_own_result_and_the_shell_its_own(  # noqa: PLR0917
        self,
        project: Project,
        key: str,
        terminals: list[Terminal],
        tmp_path: Path,
        cmd: str,
        shell_exit: int,
        step_line: str,
        outcome: str,
    ) -> None:
        """--after: the step's line is what its command did; the shell's exit is apart."""
        _fork(project, key, cmd=cmd)
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key, "--after")
        seen = shell.expect("# ", after=shell.expect("a shell where it ran"))
        shell.type(f"cat mine.txt; exit {shell_exit}\n")
        shell.expect("mine\r\n", after=seen)

        assert shell_exit == shell.wait()
        summary = shell.screen.splitlines()  # the step's line comes before the shell opens
        assert 1 == sum(line.startswith(step_line.format(key=key)) for line in summary)
        assert [outcome, f"debug shell exited {shell_exit}"] == [
            line.split(" in ")[0] for line in summary if line.startswith(("build ", "debug shell"))
        ]

    def test_ctrl_c_in_the_shell_reaches_only_the_shell(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """Ctrl-C stops the command in the shell, not hm; the shell goes on, then all goes."""
        _fork(project, key)
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key)
        seen = shell.expect("# ", after=shell.expect("the step's command:"))

        # The job itself says it runs, so the Ctrl-C cannot reach the shell before it.
        shell.type("""sh -c 'echo "[sleep" "starts]"; exec sleep 300'\n""")
        shell.expect("[sleep starts]", after=seen)
        shell.type("\x03")
        shell.type('echo "[still" "here]"; exit 3\n')
        shell.expect("[still here]", after=seen)

        assert 3 == shell.wait()
        assert [] == _leftovers(project, key, tmp_path / "t")

    def test_a_killed_shell_leaves_nothing_behind(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """A shell killed in raw mode ends hm debug with 137; no run state, a sane terminal."""
        _fork(project, key)
        shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key)
        shell.expect("# ", after=shell.expect("the step's command:"))

        shell.type("stty raw -echo; kill -9 $$\n")

        assert 137 == shell.wait()
        assert [] == _leftovers(project, key, tmp_path / "t")
        assert shell.echoes_lines()


class TestInteractive:
    def test_a_failed_step_opens_a_shell_where_it_failed_and_the_build_holds(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """-i: the shell sees what the failed command left; no step starts until it exits."""
        marker = tmp_path / "later-ran"
        project.pipeline(
            command(key, "echo half > half.txt; exit 5"),
            command("slow", "sleep 1"),
            command("later", f"touch {marker} 2>/dev/null || true", builds_in="slow"),
        )
        shell = _hm(project, terminals, tmp_path / "t", "run", "pipeline.json", "-i", "-k")

        seen = shell.expect(f"step '{key}' failed (exit 5)")
        shell.expect("# ", after=seen)
        shell.type('cat half.txt; sleep 2; echo "[held=$(ls ../../.. 2>/dev/null | wc -l)]"\n')
        shell.expect("half\r\n", after=seen)
        held = shell.expect("[held=", after=seen)
        later_ran_while_open = marker.exists()
        shell.type("exit\n")

        assert 1 == shell.wait()
        assert held > seen
        assert not later_ran_while_open
        if project.runner == "local":  # the docker step writes inside its container
            assert marker.exists()
        assert "✓ later" in shell.screen

    def test_after_the_shell_fail_fast_stops_what_it_held(
        self, project: Project, key: str, terminals: list[Terminal], tmp_path: Path
    ) -> None:
        """Without -k, the step held while the shell was open never starts afterwards."""
        project.pipeline(
            command(key, "exit 5"),
            command("slow", "sleep 1"),
            command("later", "echo later ran", builds_in="slow"),
        )
        shell = _hm(project, terminals, tmp_path / "t", "run", "pipeline.json", "-i", "--logs")
        seen = shell.expect("# ", after=shell.expect(f"step '{key}' failed (exit 5)"))

        shell.type('sleep 2; echo "[leaving" "now]"; exit\n')
        shell.expect("[leaving now]", after=seen)

        assert 1 == shell.wait()
        assert "later ran" not in shell.screen


@pytest.mark.parametrize("args", [("debug", "pipeline.json", "a"), ("run", "pipeline.json", "-i")])
def test_without_a_terminal_it_is_a_usage_error(project: Project, args: tuple[str, ...]) -> None:
    """With stdin not a terminal, hm debug and hm run -i refuse in one line, exit 2."""
    project.pipeline(command("a", "true"))

    done = subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args, "--runner", project.runner],
        cwd=project.root,
        env=project.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert (2, 1) == (done.returncode, len(done.stderr.splitlines()))
    assert "stdin is not one" in done.stderr


@pytest.mark.parametrize("how", ["--shell", "HM_DEBUG_SHELL"])
def test_the_shell_is_the_one_named(
    project: Project,
    key: str,
    terminals: list[Terminal],
    tmp_path: Path,
    how: str,
) -> None:
    """--shell, or else HM_DEBUG_SHELL, names the program opened, words split."""
    _fork(project, key)
    program = "env"
    if how == "HM_DEBUG_SHELL":
        project.env["HM_DEBUG_SHELL"] = program
        args: tuple[str, ...] = ()
    else:
        args = ("--shell", program)
    shell = _hm(project, terminals, tmp_path / "t", "debug", "pipeline.json", key, *args)

    shell.expect("STEP_VAR=step-value", after=shell.expect("the step's command:"))

    assert 0 == shell.wait()
