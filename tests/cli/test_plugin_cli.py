"""`hm` with plugins, through real subprocesses: listing, verbs, exit codes and error lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.plugins.conftest import PLUGIN_SOURCE, write_dist

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

Hm = "Callable[..., subprocess.CompletedProcess[str]]"

#: A plugin whose verb echoes what it received, so a test sees the parse result.
ECHO_SOURCE = """
    import json
    from harmont_sdk import (
        ExitInfo, PluginRuntimeError, Subcommand, ValueType, flag, manifest, option,
        positional, subcommand,
    )


    class Plugin(Subcommand):
        manifest = manifest(
            "echo",
            "0.3.0",
            subcommand(
                "echo",
                "echo the parsed input",
                subcommands=[
                    subcommand(
                        "say",
                        "say something",
                        positional("word"),
                        option("times", short="n", value_type=ValueType.INT, default="1"),
                        option("color"),
                        option("loud", value_type=ValueType.BOOL),
                        flag("dry-run"),
                    ),
                    subcommand(
                        "many",
                        "collect words",
                        positional("first", required=False),
                        positional("rest", value_type=ValueType.INT, many=True),
                    ),
                    subcommand("fail", "fail on purpose"),
                    subcommand("crash", "raise a bug"),
                ],
            ),
        )

        def run(self, context, subcommand_input):
            if subcommand_input.verb_path[-1] == "fail":
                raise PluginRuntimeError("the remote refused", code="remote_refused")
            if subcommand_input.verb_path[-1] == "crash":
                return {}["missing"]
            payload = {
                "verb_path": list(subcommand_input.verb_path),
                "args": subcommand_input.args,
                "env": subcommand_input.env,
            }
            context.write_stdout(json.dumps(payload, sort_keys=True).encode() + b"\\n")
            return ExitInfo(exit_code=3, message="done, with a message")


    plugin = Plugin
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory of fake installed distributions, put on the child's PYTHONPATH."""
    path = tmp_path / "site"
    path.mkdir()
    return path


@pytest.fixture
def hm(tmp_path: Path, site: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `hm` in a child process with a temporary HOME and the fake distributions."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "HARMONT_"))}
        child_env.update(HOME=str(home), PYTHONPATH=str(site), NO_COLOR="1", COLUMNS="200")
        child_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "harmont_cli", *args],
            capture_output=True,
            text=True,
            env=child_env,
            cwd=tmp_path,
            check=False,
            timeout=60,
        )

    return run


def _good(site: Path, name: str = "good", runner: str = "good", verb: str = "good") -> None:
    write_dist(
        site, name, PLUGIN_SOURCE.format(name=name, runner=runner, verb=verb), version="1.2.3"
    )


def _loaded(hm: Hm) -> str:
    """The names of the loaded plugins, in load order, as `hm plugin list` sees them."""
    rows = json.loads(hm("plugin", "list", "--format", "json").stdout)
    return ", ".join(r["name"] for r in rows if r["status"] == "loaded")


class TestPluginList:
    def test_lists_an_installed_plugin(self, hm: Hm, site: Path) -> None:
        """An installed entry-point plugin shows with its version, kind and capabilities."""
        _good(site)

        result = hm("plugin", "list")
        row = next(line for line in result.stdout.splitlines() if line.startswith("good "))

        assert 0 == result.returncode
        assert ["good", "1.2.3", "python", "loaded", "runner:good,", "verb:good"] == (
            row.split()[:6]
        )

    def test_json_format(self, hm: Hm, site: Path) -> None:
        """--format json prints the same rows as data, capabilities as the manifest has them."""
        _good(site)

        rows = json.loads(hm("plugin", "list", "--format", "json").stdout)
        good = next(r for r in rows if r["name"] == "good")
        manifest = json.loads(hm("plugin", "info", "good").stdout)

        assert {
            "name": "good",
            "version": "1.2.3",
            "kind": "python",
            "status": "loaded",
            "builtin": False,
            "distribution": "good",
            "capabilities": manifest["capabilities"],
            "error": None,
        } == {k: v for k, v in good.items() if k != "source"}
        assert [
            {"kind": "step_executor", "runner": "good", "default": False, "step_schema": None},
            "subcommand",
        ] == [good["capabilities"][0], good["capabilities"][1]["kind"]]

    def test_json_format_of_a_broken_plugin_has_no_capabilities(self, hm: Hm, site: Path) -> None:
        """A plugin that did not load has no manifest: an empty capability list and its error."""
        write_dist(site, "broken", "raise ImportError('half-installed')\n", version="0.1.0")

        rows = json.loads(hm("plugin", "list", "--format", "json").stdout)
        broken = next(r for r in rows if r["name"] == "broken")

        assert ("broken", []) == (broken["status"], broken["capabilities"])
        assert "ImportError: half-installed" in broken["error"]

    def test_broken_plugin_is_listed_and_the_others_work(self, hm: Hm, site: Path) -> None:
        """A plugin that fails to import is listed with its error; the others still run."""
        write_dist(site, "broken", "raise ImportError('half-installed')\n", version="0.1.0")
        _good(site)

        listing = hm("plugin", "list")
        verb = hm("good")

        broken = next(line for line in listing.stdout.splitlines() if line.startswith("broken"))

        assert 0 == listing.returncode
        assert ["broken", "0.1.0", "python", "broken", "-"] == broken.split()[:5]
        assert "    error: plugin 'broken': cannot import" in listing.stdout
        assert "ImportError: half-installed" in listing.stdout
        assert (0, "") == (verb.returncode, verb.stderr)

    def test_disabled_by_option_and_environment(self, hm: Hm, site: Path) -> None:
        """-p no:NAME and HM_DISABLE_PLUGINS keep a plugin and its verb out."""
        _good(site)

        by_option = hm("-p", "no:good", "plugin", "list", "--format", "json")
        verb = hm("-p", "no:good", "good")
        by_env = hm("good", env={"HM_DISABLE_PLUGINS": "good"})

        assert "disabled" == next(
            r["status"] for r in json.loads(by_option.stdout) if r["name"] == "good"
        )
        assert 2 == verb.returncode
        assert verb.stderr.startswith("error: unknown command 'good' (available: ")
        assert 2 == by_env.returncode

    def test_bad_p_option(self, hm: Hm) -> None:
        """-p without no: is a usage error."""
        result = hm("-p", "good", "plugin", "list")

        assert (2, "error: -p expects no:NAME to disable a plugin, got 'good'\n") == (
            result.returncode,
            result.stderr,
        )


class TestExitCodes:
    def test_conflict_exits_5_naming_both(self, hm: Hm, site: Path) -> None:
        """Two plugins claiming one runner stop hm with exit 5 and one error line."""
        _good(site, "alpha", runner="k8s", verb="va")
        _good(site, "beta", runner="k8s", verb="vb")

        result = hm("plugin", "list")

        assert 5 == result.returncode
        assert [
            "error: plugin conflict: both 'alpha' and 'beta' claim 'runner:k8s'",
            "hint: disable one of them with `-p no:beta` or HM_DISABLE_PLUGINS=beta",
        ] == result.stderr.splitlines()

    def test_conflict_resolved_by_disabling(self, hm: Hm, site: Path) -> None:
        """The hint of a conflict works: disabling one side lets hm start."""
        _good(site, "alpha", runner="k8s", verb="va")
        _good(site, "beta", runner="k8s", verb="vb")

        assert 0 == hm("-p", "no:beta", "plugin", "list").returncode

    def test_verb_shadowing_a_builtin_exits_5(self, hm: Hm, site: Path) -> None:
        """A plugin verb named like a built-in command is a load error."""
        _good(site, "shadow", runner="s", verb="render")

        result = hm("--help")

        assert 5 == result.returncode
        assert (
            "error: plugin conflict: both 'hm' and 'shadow' claim 'verb:render'"
            == (result.stderr.splitlines()[0])
        )

    def test_plugin_error_exits_6(self, hm: Hm, site: Path) -> None:
        """A PluginRuntimeError a verb raises with a code is exit 6 with the plugin's message."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "fail")

        assert (6, "error: echo: the remote refused\n") == (result.returncode, result.stderr)

    def test_plugin_bug_exits_6_without_traceback(self, hm: Hm, site: Path) -> None:
        """An unexpected exception in a plugin is one error line and exit 6."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "crash")

        assert 6 == result.returncode
        assert [
            "error: plugin 'echo' raised KeyError during 'run_subcommand': 'missing'",
            "hint: this is a bug in the plugin; report it to its authors",
        ] == result.stderr.splitlines()

    def test_unknown_command_exits_2(self, hm: Hm) -> None:
        """An unknown command word is one error line with a hint, exit 2."""
        result = hm("deploy")

        assert 2 == result.returncode
        assert result.stderr.startswith("error: unknown command 'deploy' (available: ")
        assert "hint: a plugin may provide it: `hm plugin install SOURCE`\n" in result.stderr


class TestPluginVerbs:
    def test_arguments_are_parsed_once_and_typed(self, hm: Hm, site: Path) -> None:
        """Positionals, int options, defaults and flags reach the plugin typed, with HARMONT_*."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "say", "hi", "--dry-run", "--loud", "true", env={"HARMONT_ORG": "acme"})

        assert 3 == result.returncode
        assert "done, with a message\n" == result.stderr
        assert {
            "verb_path": ["echo", "say"],
            "args": {"word": "hi", "times": 1, "loud": "true", "dry-run": True},
            "env": {"HARMONT_ORG": "acme"},
        } == json.loads(result.stdout)

    def test_short_int_option_and_absent_flag(self, hm: Hm, site: Path) -> None:
        """-n parses as an integer; an absent flag is false, an absent option omitted."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "say", "-n", "-42", "hi")

        assert {"word": "hi", "times": -42, "dry-run": False} == json.loads(result.stdout)["args"]

    @pytest.mark.parametrize(
        ("words", "expected"),
        [
            ([], {"rest": []}),
            (["a"], {"first": "a", "rest": []}),
            (["a", "1", "20", "3"], {"first": "a", "rest": [1, 20, 3]}),
        ],
    )
    def test_a_positional_list_takes_every_remaining_word(
        self, hm: Hm, site: Path, words: list[str], expected: dict[str, object]
    ) -> None:
        """`positional(many=True)` is a list, possibly empty; an absent optional is missing."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "many", *words)

        # The echo plugin ends every call with its exit code 3.
        assert (3, expected) == (result.returncode, json.loads(result.stdout)["args"])

    def test_a_positional_list_before_a_positional_is_a_broken_plugin(
        self, hm: Hm, site: Path
    ) -> None:
        """A positional list that is not the verb's last positional refuses the manifest."""
        source = """
            from harmont_sdk import ExitInfo, Subcommand, manifest, positional, subcommand


            class Plugin(Subcommand):
                manifest = manifest(
                    "greedy",
                    "1.0.0",
                    subcommand("greedy", "g", positional("rest", many=True), positional("x")),
                )

                def run(self, context, subcommand_input):
                    return ExitInfo(exit_code=0)


            plugin = Plugin
        """
        write_dist(site, "greedy", source)

        rows = json.loads(hm("plugin", "list", "--format", "json").stdout)
        greedy = next(row for row in rows if row["name"] == "greedy")

        assert ("broken", True) == (
            greedy["status"],
            "a positional list must be the last positional argument" in greedy["error"],
        )

    def test_a_positional_list_shows_in_help(self, hm: Hm, site: Path) -> None:
        """The usage line of a verb with a positional list ends in ``[REST]...``."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo", "many", "--help")

        assert "Usage: hm echo many [OPTIONS] [FIRST] [REST]..." in result.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["echo", "say"], "error: missing argument 'WORD'"),
            (["echo", "say", "hi", "--times", "many"], "'many' is not a valid integer"),
            (["echo", "say", "hi", "--volume", "3"], "no such option for `hm echo say`: --volume"),
        ],
    )
    def test_usage_errors_exit_2(self, hm: Hm, site: Path, args: list[str], message: str) -> None:
        """The parser rejects bad plugin-verb arguments with exit 2 before the plugin runs."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm(*args)

        assert 2 == result.returncode
        assert message in result.stderr
        assert "" == result.stdout

    def test_group_without_subcommand_shows_help(self, hm: Hm, site: Path) -> None:
        """A verb with subcommands and no arguments of its own requires a subcommand."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("echo")

        assert 2 == result.returncode
        assert "say" in result.stdout + result.stderr

    def test_help_lists_plugin_verbs(self, hm: Hm, site: Path) -> None:
        """`hm --help` shows plugin verbs beside the built-ins, with their about line."""
        write_dist(site, "echo", ECHO_SOURCE)

        result = hm("--help")

        assert 0 == result.returncode
        assert "  echo       echo the parsed input (plugin echo)" in result.stdout.splitlines()
        plugin = "  plugin     List, inspect, install, remove, check, freeze and sync plugins."
        assert plugin in result.stdout


def test_help_imports_neither_rich_nor_docker(site: Path) -> None:
    """`hm --help` loads plugin manifests but never pays for rich or docker."""
    write_dist(site, "echo", ECHO_SOURCE)
    code = (
        "import contextlib, io, sys; from harmont_cli.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: main(['--help'])\n"
        "print('echo' in out.getvalue(), sorted(m for m in ('rich', 'docker') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout

    assert "True []\n" == out


class TestInfoAndVersion:
    def test_info_prints_the_manifest(self, hm: Hm, site: Path) -> None:
        """`hm plugin info NAME` prints the manifest's JSON form."""
        _good(site)

        manifest = json.loads(hm("plugin", "info", "good").stdout)

        assert (2, "good", "1.2.3") == (
            manifest["api_version"],
            manifest["name"],
            manifest["version"],
        )
        assert [
            {"kind": "step_executor", "runner": "good", "default": False, "step_schema": None},
        ] == [c for c in manifest["capabilities"] if c["kind"] == "step_executor"]

    def test_info_unknown_plugin(self, hm: Hm, site: Path) -> None:
        """An unknown name is a usage error whose hint lists the loaded plugins."""
        _good(site)

        result = hm("plugin", "info", "nothing")

        assert (
            2,
            f"error: no plugin named 'nothing' is installed\nhint: loaded plugins: {_loaded(hm)}\n",
        ) == (result.returncode, result.stderr)

    def test_info_broken_plugin_says_why_and_lists_the_loaded(self, hm: Hm, site: Path) -> None:
        """A plugin that did not load gets its state and reason, and the same hint."""
        write_dist(site, "broken", "raise ImportError('half-installed')\n", version="0.1.0")

        result = hm("plugin", "info", "broken")

        assert (2, f"hint: loaded plugins: {_loaded(hm)}") == (
            result.returncode,
            result.stderr.splitlines()[-1],
        )
        assert result.stderr.startswith("error: plugin 'broken' is broken: ")

    def test_version_counts_loaded_plugins(self, hm: Hm, site: Path) -> None:
        """`hm version` prints the versions and how many plugins loaded."""
        _good(site)
        builtins = hm("version", env={"HM_NO_PLUGIN_AUTOLOAD": "1"}).stdout.splitlines()[2]
        count = int(builtins.rsplit(" ", 1)[1])

        lines = hm("version").stdout.splitlines()

        assert lines[1:] == ["plugin api version: 2", f"plugins loaded: {count + 1}"]
        assert lines[0].startswith("hm ")


class TestInstallRefusals:
    def test_plain_http_is_refused(self, hm: Hm) -> None:
        """http:// sources are refused, exit 2."""
        result = hm("plugin", "install", "http://example.com/p.whl")

        assert 2 == result.returncode
        assert (
            "error: plugin source 'http://example.com/p.whl': plain http:// is not allowed\n"
            == (result.stderr.splitlines(keepends=True)[0])
        )

    def test_native_library_is_refused(self, hm: Hm, tmp_path: Path) -> None:
        """A file that is no shared library is refused with exit 5, saying why, before any copy."""
        library = tmp_path / "libthing.so"
        library.write_bytes(b"\x7fELF")

        result = hm("plugin", "install", str(library))

        assert 5 == result.returncode
        assert result.stderr.startswith(
            f"error: native plugin '{library}': not a valid shared library: "
            "its ELF header is cut short or damaged (4 bytes)\n"
        )

    def test_remove_needs_confirmation(self, hm: Hm, site: Path) -> None:
        """Without --yes and without a terminal, remove refuses and changes nothing."""
        _good(site)

        result = hm("plugin", "remove", "good")

        assert 2 == result.returncode
        assert (
            "error: removing distribution 'good' (plugins: good) needs confirmation"
            == (result.stderr.splitlines()[0])
        )
