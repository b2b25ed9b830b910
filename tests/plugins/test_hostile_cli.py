"""
Python plugins that misbehave, installed as real distributions and run through `hm`.

Each plugin is a module on ``PYTHONPATH`` with a ``harmont.plugins`` entry point, so the
`hm` subprocess discovers it exactly as it would one installed with pip.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harmont._plugins._host import Host
from harmont.protocol import BuildEnd, ChainFailed, KvScope, StepEnd
from tests.plugins.conftest import write_dist
from tests.run.rig import TIMEOUT_SECONDS, Build, Project, command, hm_environment, survivors

#: Runner ``raiser`` raises what its step's command names; verbs ``nap`` (sleeps once it
#: has said ``ready``) and ``interrupt`` (raises KeyboardInterrupt).
_RAISER = """
    import sys
    import time

    from harmont_sdk import ExitInfo, StepExecutor, StepResult, Subcommand
    from harmont_sdk import executor, manifest, subcommand


    class Plugin(StepExecutor, Subcommand):
        manifest = manifest(
            "raiser",
            "1.0.0",
            executor("raiser"),
            subcommand("nap", "sleeps"),
            subcommand("interrupt", "raises KeyboardInterrupt"),
        )

        def execute_step(self, context, executor_input):
            what = executor_input.step.cmd
            if what == "exit":
                sys.exit(3)
            if what == "interrupt":
                raise KeyboardInterrupt
            if what == "generator-exit":
                raise GeneratorExit
            return StepResult(exit_code=0)

        def run(self, context, subcommand_input):
            if subcommand_input.verb_path[0] == "interrupt":
                raise KeyboardInterrupt
            context.write_stdout(b"ready\\n")
            time.sleep(60)
            return ExitInfo(exit_code=0)


    plugin = Plugin
"""

#: Runner ``shaky``: its cache lookup raises SystemExit.
_SHAKY = """
    import sys

    from harmont_sdk import StepExecutor, StepResult, executor, hookimpl, manifest


    class Plugin(StepExecutor):
        manifest = manifest("shaky", "1.0.0", executor("shaky"))

        @hookimpl
        def hm_snapshot_exists(self, runner, tag):
            if runner == "shaky":
                sys.exit(4)
            return None

        def execute_step(self, context, executor_input):
            return StepResult(exit_code=0)


    plugin = Plugin
"""

#: Verb ``snoop``: tries every way through its context to read plugin ``victim``'s keys.
_SNOOP = """
    from harmont.protocol import KvScope
    from harmont_sdk import ExitInfo, Subcommand, manifest, subcommand


    def _rebound(context):
        context._plugin = "victim"
        return context


    def _rebound_host(context):
        context._host.plugin = "victim"
        return context


    class Plugin(Subcommand):
        manifest = manifest("snoop", "1.0.0", subcommand("snoop", "reads what it should not"))

        def run(self, context, subcommand_input):
            attempts = {
                "host.context": lambda: context._host.context("victim"),
                "new context": lambda: type(context)(context._host, "victim", None, None),
                "rebound context": lambda: _rebound(context),
                "rebound host": lambda: _rebound_host(context),
            }
            for name, attempt in attempts.items():
                try:
                    got = attempt().kv_get(KvScope.PLUGIN, "secret")
                except Exception as exc:
                    got = f"refused ({type(exc).__name__})"
                context.write_stdout(f"{name}: {got}\\n".encode())
            return ExitInfo(exit_code=0)


    plugin = Plugin
"""

#: Runner ``stuck``: never returns, never looks at should_cancel.
_STUCK = """
    import threading

    from harmont_sdk import StepExecutor, executor, manifest


    class Plugin(StepExecutor):
        manifest = manifest("stuck", "1.0.0", executor("stuck"))

        def execute_step(self, context, executor_input):
            threading.Event().wait()


    plugin = Plugin
"""

#: A plugin whose manifest never comes.
_SLEEPY = """
    import threading

    from harmont import hookimpl


    @hookimpl
    def hm_plugin_manifest():
        threading.Event().wait()
"""

#: A plugin that calls itself what its entry point is called, whatever that is.
_NAMED_BY_ENTRY_POINT = """
    from harmont_sdk import StepExecutor, StepResult, executor, manifest


    class Plugin(StepExecutor):
        manifest = manifest(__import__("os").environ["HM_TEST_NAME"], "1.0.0", executor("x"))

        def execute_step(self, context, executor_input):
            return StepResult(exit_code=0)


    plugin = Plugin
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with a private home, run on the local runner."""
    (tmp_path / "project").mkdir()
    (tmp_path / "home").mkdir()
    (tmp_path / "site").mkdir()
    env = hm_environment(tmp_path / "home")
    env["PYTHONPATH"] = str(tmp_path / "site")
    return Project(root=tmp_path / "project", runner="local", env=env)


def _install(project: Project, name: str, code: str, *, attr: str | None = "plugin") -> None:
    write_dist(Path(project.env["PYTHONPATH"]), name, code, attr=attr)


def _statuses(done: Build) -> dict[str, int]:
    keys = done.keys()
    return {keys[e.step_id]: e.exit_code for e in done.of(StepEnd)}


class TestBaseExceptions:
    @pytest.mark.parametrize(
        ("what", "raised"),
        [
            ("exit", "SystemExit: 3"),
            ("interrupt", "KeyboardInterrupt"),
            ("generator-exit", "GeneratorExit"),
        ],
    )
    def test_a_runner_that_raises_it_errors_its_step(
        self, project: Project, what: str, raised: str
    ) -> None:
        """SystemExit, KeyboardInterrupt, GeneratorExit from a runner: step errored, exit 6."""
        _install(project, "raiser", _RAISER)
        project.pipeline(
            command("boom", what, runner="raiser"), command("after", "echo no", builds_in="boom")
        )

        done = project.hm()

        exception, _, detail = raised.partition(": ")
        message = f"plugin 'raiser' raised {exception} during 'execute_step'" + (
            f": {detail}" if detail else ""
        )
        assert 6 == done.returncode, done.stderr
        assert {"boom": 1} == _statuses(done)
        assert [message] == [e.message.split(" (hint:")[0] for e in done.of(ChainFailed)]
        assert [6] == [e.exit_code for e in done.of(BuildEnd)]
        assert [] == done.logs("after")

    def test_a_cache_lookup_that_raises_it_errors_its_step(self, project: Project) -> None:
        """SystemExit from a runner's hm_snapshot_exists: the step errored, exit 6."""
        _install(project, "shaky", _SHAKY)
        project.pipeline(
            command("boom", "true", runner="shaky", cache={"policy": "forever", "key": "k"}),
            command("after", "echo no", builds_in="boom"),
        )

        done = project.hm()

        assert 6 == done.returncode, done.stderr
        (failed,) = done.of(ChainFailed)
        assert failed.message.startswith("runner 'shaky': checking cache snapshot"), failed
        assert "failed: SystemExit: 4" in failed.message
        assert [6] == [e.exit_code for e in done.of(BuildEnd)]
        assert [] == done.logs("after")

    def test_a_verb_that_raises_keyboard_interrupt_fails_with_exit_6(
        self, project: Project
    ) -> None:
        """A plugin's own KeyboardInterrupt is its failure, not a Ctrl-C."""
        _install(project, "raiser", _RAISER)

        done = project.hm("interrupt", raw=True)

        assert 6 == done.returncode
        assert (
            "error: plugin 'raiser' raised KeyboardInterrupt during 'run_subcommand'"
            == done.stderr.splitlines()[0]
        )

    @pytest.mark.parametrize(
        ("signum", "code"),
        [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
        ids=["sigint", "sigterm", "sighup"],
    )
    def test_a_real_stop_signal_still_cancels_a_verb(
        self, project: Project, signum: signal.Signals, code: int
    ) -> None:
        """A stop signal to `hm` while a plugin verb runs is the user's: 128+N, not exit 6."""
        _install(project, "raiser", _RAISER)
        process = subprocess.Popen(
            [sys.executable, "-m", "harmont_cli", "nap"],
            cwd=project.root,
            env=project.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert "ready\n" == process.stdout.readline()

        process.send_signal(signum)
        _, err = process.communicate(timeout=TIMEOUT_SECONDS)

        assert (code, "error: cancelled\n") == (process.returncode, err)


class TestContexts:
    def test_a_plugin_cannot_read_another_plugins_keys_through_its_context(
        self, project: Project
    ) -> None:
        """No way through a context or what it holds acts as another plugin."""
        _install(project, "snoop", _SNOOP)
        state = Path(project.env["XDG_STATE_HOME"]) / "harmont"
        with Host(state_dir=state) as host:
            host.context("victim").kv_set(KvScope.PLUGIN, "secret", b"hunter2")

        done = project.hm("snoop", raw=True)

        assert 0 == done.returncode, done.stderr
        assert [
            "host.context: refused (AttributeError)",
            "new context: refused (TypeError)",
            "rebound context: refused (AttributeError)",
            "rebound host: refused (AttributeError)",
        ] == done.stdout.splitlines()


class TestHangingPlugins:
    @pytest.mark.slow
    def test_a_runner_that_never_returns_is_timed_out_and_the_build_ends(
        self, project: Project
    ) -> None:
        """A 2 s step and 3 s pipeline timeout bound a runner that never returns; cleanup runs."""
        _install(project, "stuck", _STUCK)
        marker = uuid.uuid4().hex
        project.pipeline(
            command("stuck", "ignored", runner="stuck", timeout_seconds=2),
            command("sleeper", f"sleep 50 # {marker}"),
            timeout_seconds=3,
        )

        done = project.hm("--keep-going")

        assert {"stuck": 124, "sleeper": 130} == _statuses(done)
        assert "step 'stuck' timed out after 2s" in [e.message for e in done.of(ChainFailed)]
        assert [1] == [e.exit_code for e in done.of(BuildEnd)]
        assert 1 == done.returncode
        assert "plugin 'stuck' did not end 'execute_step'" in done.stderr
        assert [] == survivors(marker)

    @pytest.mark.slow
    def test_a_manifest_that_never_comes_is_listed_broken(self, project: Project) -> None:
        """`hm plugin list` lists a hanging plugin broken with the reason; `hm run` runs."""
        _install(project, "sleepy", _SLEEPY, attr=None)
        project.pipeline(command("hello", "echo hi"))

        listed = project.hm("plugin", "list", "--format", "json", raw=True)
        rows = {row["name"]: row for row in json.loads(listed.stdout)}
        done = project.hm()

        assert (
            "broken",
            "plugin 'sleepy' timed out after 10000ms during 'hm_plugin_manifest'",
        ) == (
            rows["sleepy"]["status"],
            rows["sleepy"]["error"],
        )
        assert (0, ["hi"]) == (done.returncode, done.logs("hello")), done.stderr


class TestNames:
    @pytest.mark.parametrize("name", ["../up", ".hidden", "evil\x1b[2J"])
    def test_a_name_that_is_not_a_plain_word_is_broken_and_shown_escaped(
        self, project: Project, name: str
    ) -> None:
        """A Python plugin whose name is not a plain word is listed broken, never raw."""
        site = Path(project.env["PYTHONPATH"])
        module = write_dist(site, "odd", _NAMED_BY_ENTRY_POINT)
        entry_points = site / "odd-1.0.0.dist-info" / "entry_points.txt"
        entry_points.write_text(f"[harmont.plugins]\n{name} = {module}:plugin\n")
        project.env["HM_TEST_NAME"] = name
        shown = name.encode("unicode_escape").decode("ascii")

        done = project.hm("plugin", "list", "--format", "json", raw=True)
        rows = {row["name"]: row for row in json.loads(done.stdout)}
        human = project.hm("plugin", "list", raw=True)

        assert "broken" == rows[shown]["status"]
        assert f"plugin '{shown}': name '{shown}' is not a plain word" in rows[shown]["error"]
        assert "\x1b" not in human.stdout + human.stderr
