"""Every help screen of `hm`, and its usage errors, in one consistent style."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

#: Every built-in help screen, as the words after `hm`.
SCREENS = [
    [],
    ["run"],
    ["debug"],
    ["init"],
    ["render"],
    ["pipelines"],
    ["version"],
    ["plugin"],
    ["plugin", "list"],
    ["plugin", "info"],
    ["plugin", "install"],
    ["plugin", "remove"],
    ["cache"],
    ["cache", "clean"],
]


def _hm(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "HARMONT_"))}
    env.update(HOME=str(cwd), COLUMNS="80", **extra)
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("words", SCREENS, ids=lambda words: " ".join(["hm", *words]))
def test_help_is_whole_and_uses_one_placeholder_style(words: list[str], tmp_path: Path) -> None:
    """No description cut with `...`, and placeholders are NAME, never {name} or <str>."""
    done = _hm(*words, "--help", cwd=tmp_path)

    assert 0 == done.returncode, done.stderr
    assert re.search(r"\w\.\.\.$", done.stdout, re.MULTILINE) is None, done.stdout
    assert re.search(r"[{<][a-zA-Z_|]+[}>]", done.stdout) is None, done.stdout


def test_top_level_help_lists_the_exit_codes(tmp_path: Path) -> None:
    """`hm --help` ends with every exit code and its meaning."""
    done = _hm("--help", cwd=tmp_path)
    section = done.stdout.split("Exit codes:\n", 1)[1]

    assert ["0", "1", "2", "3", "4", "5", "6", "7", "130"] == [
        line.split()[0] for line in section.splitlines() if line.strip()
    ]
    assert "SIGTERM" in section


def test_run_help_names_the_default_runner_and_the_logs_prefix(tmp_path: Path) -> None:
    """--runner says docker is the default; --logs says its prefixes are step keys."""
    text = " ".join(_hm("run", "--help", cwd=tmp_path).stdout.split())

    assert "--runner NAME The runner of steps that name none: docker (the default" in text
    assert "the step key, not its label" in text


@pytest.mark.parametrize(
    ("words", "options"),
    [
        (
            ["run"],
            [
                "--pull missing|always|never",
                "--only STEP[,STEP...]",
                "--secret NAME[=VALUE]",
                "-i, --interactive",
                "--shell PROGRAM",
            ],
        ),
        (
            ["debug"],
            [
                "Usage: hm debug [OPTIONS] [PIPELINE|FILE|-] STEP",
                "-e, --env KEY=VALUE",
                "--runner NAME The runner of steps that name none: docker (the default",
                "--secret NAME[=VALUE]",
                "--after",
                "--shell PROGRAM",
            ],
        ),
    ],
    ids=["hm run", "hm debug"],
)
def test_every_option_is_listed_with_its_placeholder(
    words: list[str], options: list[str], tmp_path: Path
) -> None:
    """The selection, secret, pull and shell options show in the one placeholder style."""
    text = " ".join(_hm(*words, "--help", cwd=tmp_path).stdout.split())

    assert [] == [option for option in options if option not in text], text


def test_plugin_install_help_mentions_native_libraries(tmp_path: Path) -> None:
    """`hm plugin install --help` says a native library is a source too."""
    text = " ".join(_hm("plugin", "install", "--help", cwd=tmp_path).stdout.split())

    assert "a native plugin library (a .so" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["run", "--kep-going"],
            [
                "error: no such option for `hm run`: --kep-going",
                "hint: did you mean --keep-going? (see `hm run --help`)",
            ],
        ),
        (
            ["run", "--format", "xml"],
            [
                "error: invalid value for '--format': 'xml' is not one of 'human', 'json'",
                "hint: see `hm run --help`",
            ],
        ),
        (
            ["plugin", "install"],
            ["error: missing argument 'SOURCE'", "hint: see `hm plugin install --help`"],
        ),
        (
            ["rnu"],
            [
                "error: unknown command 'rnu' (available: cache, config, debug, init, pipelines, "
                "plugin, render, run, trace, version)",
                "hint: did you mean 'run'? (a plugin may provide it: `hm plugin install SOURCE`)",
            ],
        ),
    ],
)
def test_usage_errors_are_error_and_hint_lines(
    args: list[str], expected: list[str], tmp_path: Path
) -> None:
    """click's `Error: No such option` never shows: hm's lines, with the closest option."""
    done = _hm(*args, cwd=tmp_path, HM_NO_PLUGIN_AUTOLOAD="1")

    assert (2, expected) == (done.returncode, done.stderr.splitlines())


def test_disabling_an_unknown_plugin_warns_with_the_closest_name(tmp_path: Path) -> None:
    """`-p no:dockr` disables nothing: a warning says so and names `docker`."""
    done = _hm("-p", "no:dockr", "plugin", "list", cwd=tmp_path)

    assert 0 == done.returncode
    assert [
        "warning: -p no:dockr: no plugin is named 'dockr' (did you mean 'docker'?)"
    ] == done.stderr.splitlines()


def test_disabling_an_unknown_plugin_warns_during_a_run(tmp_path: Path) -> None:
    """In `hm run` the warning goes through the build's output, once."""
    (tmp_path / "pipeline.json").write_text(
        '{"version": "0", "steps": [{"type": "command", "key": "a", "cmd": "true"}]}'
    )

    done = _hm("-p", "no:locl", "run", "pipeline.json", "--runner", "local", cwd=tmp_path)

    assert 0 == done.returncode, done.stderr
    assert 1 == done.stderr.count(
        "warning: -p no:locl: no plugin is named 'locl' (did you mean 'local'?)"
    )
