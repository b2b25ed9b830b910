"""What `hm run` shows a person: labels, images, the closing line, colour and width."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.cli.terminal import on_terminal
from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from tests.cli.terminal import Screen
    from tests.run.rig import Project

#: Any escape sequence: styles, cursor moves, modes.
_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|.)")
_SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")

_LABELLED = """\
import harmont as hm


@hm.pipeline("labels")
def labels():
    return [
        hm.sh("echo built", label="Tést ✓ ünïcode!"),
        hm.sh("echo one", label="test"),
        hm.sh("echo two", label="test"),
        hm.sh("echo py", label="python step", image="python:3.12"),
        hm.sh("exit 3", label="fail on purpose"),
        hm.sh("exit 4", label="fail again"),
    ]
"""


def _labelled(project: Project) -> None:
    (project.root / ".harmont").mkdir()
    (project.root / ".harmont" / "labels.py").write_text(_LABELLED)


def _piped(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", "run", *args, "--runner", "local"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _keys(project: Project) -> dict[str, list[str]]:
    """Label -> keys of the step(s) so labelled, from `hm render`."""
    import json

    rendered = subprocess.run(
        [sys.executable, "-m", "harmont_cli", "render", "labels"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    keys: dict[str, list[str]] = {}
    for node in json.loads(rendered.stdout)["graph"]["nodes"]:
        step = node.get("step") or {}
        if "label" in step:
            keys.setdefault(step["label"], []).append(step["key"])
    return keys


def _text(screen: Screen) -> str:
    """The terminal's text without escape sequences, carriage returns as line breaks."""
    return _ESCAPE.sub("", screen.raw).replace("\r\n", "\n").replace("\r", "\n")


class TestLabels:
    def test_steps_are_shown_by_label_with_the_key_of_a_shared_one(self, project: Project) -> None:
        """Status lines, replays and the closing line name labels, in full Unicode."""
        _labelled(project)
        tests = _keys(project)["test"]

        shown = _piped(project, "labels", "--keep-going").stderr

        assert "✓ Tést ✓ ünïcode!  " in shown
        assert {f"✓ test ({key})  " for key in tests} <= {
            line[: len(f"✓ test ({key})  ")] for line in shown.splitlines() for key in tests
        }
        assert "✗ fail on purpose  exit 3" in shown
        assert "t-st-n-code" not in shown

    def test_a_shared_labels_key_is_dim_on_a_terminal(self, project: Project) -> None:
        """On a terminal, the key that tells two equal labels apart is dim text."""
        _labelled(project)
        key = _keys(project)["test"][0]

        screen = on_terminal(
            ["run", "labels", "--runner", "local"], cwd=project.root, env=project.env
        )

        assert re.search(rf"test\x1b\[2m \({key}\)", screen.raw), screen.raw

    def test_logs_prefixes_stay_keys_and_start_names_the_label(self, project: Project) -> None:
        """With --logs output lines are prefixed by step key; the start line names the label."""
        _labelled(project)
        key = _keys(project)["Tést ✓ ünïcode!"][0]

        shown = _piped(project, "labels", "--logs").stderr

        assert f"[{key}] built" in shown
        assert f"[{key}] start Tést ✓ ünïcode! (runner local)" in shown


class TestImages:
    def test_only_images_the_step_set_are_named(self, project: Project) -> None:
        """The DSL's stamped image is never shown; a step's own one is, with one warning."""
        _labelled(project)

        shown = _piped(project, "labels", "--keep-going").stderr

        assert "ubuntu:24.04" not in shown
        assert "[python step] start (runner local, image python:3.12)" in shown
        assert 1 == shown.count("images are ignored")


class TestClosingLine:
    def test_keep_going_names_every_failed_step(self, project: Project) -> None:
        """With --keep-going the closing line counts and names the failed steps."""
        _labelled(project)

        done = _piped(project, "labels", "--keep-going")
        closing = done.stderr.splitlines()[-1]

        assert 1 == done.returncode
        assert re.fullmatch(
            r"build failed \(exit 1\) in \S+: 2 steps failed: fail "
            r"(on purpose \(exit 3\), fail again \(exit 4\)"
            r"|again \(exit 4\), fail on purpose \(exit 3\))",
            closing,
        ), closing


class TestTerminal:
    def test_no_color_and_NO_COLOR_write_no_escape_sequence(self, project: Project) -> None:
        """Neither --no-color nor NO_COLOR lets a single escape sequence through, on a terminal."""
        _labelled(project)
        argv = ["run", "labels", "--runner", "local"]

        flag = on_terminal([*argv, "--no-color"], cwd=project.root, env=project.env)
        variable = on_terminal(argv, cwd=project.root, env={**project.env, "NO_COLOR": "1"})

        assert ("\x1b" not in flag.raw, "\x1b" not in variable.raw) == (True, True)
        assert "✓ Tést ✓ ünïcode!" in flag.raw

    def test_at_40_columns_lines_fit_and_the_spinner_stays(self, project: Project) -> None:
        """A long label is cut to the width: no line wraps, the spinner and time stay."""
        label = "a step with a label much longer than forty columns of terminal"
        project.pipeline(command("long", "sleep 1.5", label=label))

        screen = on_terminal(
            ["run", "pipeline.json", "--runner", "local"],
            cwd=project.root,
            env=project.env,
            columns=40,
        )
        text = _text(screen)
        lines = [line for line in text.split("\n") if line.strip()]
        progress = [line for line in lines if _SPINNER.match(line)]

        assert 0 == screen.returncode
        assert [] == [line for line in lines if len(line) > 40 and not line.startswith("build")]
        assert progress, text
        assert all(re.search(r"…\s+\d+(ms|\.\d+s)$", line) for line in progress), progress
        assert re.search(r"^✓ a step with a label much.*…  1\.\ds$", text, re.MULTILINE), text

    def test_running_and_finished_steps_share_one_duration_format(self, project: Project) -> None:
        """A running step's time reads like a finished one's (1.2s), never 0:00:01."""
        project.pipeline(command("slow", "sleep 1.5"))

        text = _text(
            on_terminal(
                ["run", "pipeline.json", "--runner", "local"], cwd=project.root, env=project.env
            )
        )

        assert "0:00:0" not in text
        assert re.search(r"slow\s+\d+(ms|\.\ds)\n", text), text

    def test_the_header_names_the_default_runner(self, project: Project) -> None:
        """On a terminal too, the first line says which runner steps without one use."""
        project.pipeline(command("one", "true"))

        text = _text(
            on_terminal(
                ["run", "pipeline.json", "--runner", "local"], cwd=project.root, env=project.env
            )
        )

        assert "build: 1 step in 1 chain, default runner local" in text


class TestPlain:
    def test_a_cached_step_says_cache_hit_once_and_no_start(self, project: Project) -> None:
        """Without a terminal, a step served from the cache has one line saying so, no `start`."""
        project.pipeline(
            command("build", "echo built", cache={"policy": "forever", "key": "k" * 64})
        )
        assert 0 == _piped(project, "pipeline.json").returncode

        shown = _piped(project, "pipeline.json").stderr

        assert [line for line in shown.splitlines() if line.startswith("[build]")] == [
            line
            for line in shown.splitlines()
            if re.fullmatch(r"\[build\] cache hit \(runner local, from \S+\)", line)
        ]
        assert "[build] start" not in shown
        assert "[build] cache hit" in shown
