"""Native plugins through `hm` itself: plugin verbs, listing, install, and `hm run`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from harmont.protocol import BuildEnd, ChainFailed
from tests.native.conftest import plugin_kv, plugins_dir
from tests.run.rig import Project, command

if TYPE_CHECKING:
    import pytest

    from tests.native_support import Built


class TestVerbs:
    def test_failing_subcommand_exits_7_with_its_message(
        self, native: Built, project: Project
    ) -> None:
        """`hm fixture-fail` exits with the plugin's code and prints its message on stderr."""
        native.install("failing-subcommand", plugins_dir(project), "harmont-fixture-failing")

        done = project.hm("fixture-fail", raw=True)

        assert (7, "intentional failure for tests\n") == (done.returncode, done.stderr)

    def test_a_plugin_error_exits_6_naming_the_plugin(
        self, native: Built, project: Project
    ) -> None:
        """A PluginError from a native verb is a one-line error and exit 6."""
        native.install("failing-subcommand", plugins_dir(project), "harmont-fixture-failing")

        done = project.hm("fixture-error", raw=True)

        assert 6 == done.returncode
        assert (
            "error: plugin 'harmont-fixture-failing' failed during 'run_subcommand': "
            "the fixture reports an error"
        ) == done.stderr.splitlines()[0]

    def test_a_positional_list_arrives_as_an_array(self, native: Built, project: Project) -> None:
        """A native verb's positional list gets every remaining word, parsed, possibly none."""
        native.install("failing-subcommand", plugins_dir(project), "harmont-fixture-failing")

        some = project.hm("fixture-args", "1", "20", "300", raw=True)
        none = project.hm("fixture-args", raw=True)

        assert (0, 'Object({"numbers": Array([Int(1), Int(20), Int(300)])})\n') == (
            some.returncode,
            some.stdout,
        )
        assert (0, 'Object({"numbers": Array([])})\n') == (none.returncode, none.stdout)

    def test_the_c_example_runs_as_a_verb(self, native: Built, project: Project) -> None:
        """The C example plugin, built with cc from the header alone, answers `hm c-hello`."""
        native.install("hm_c_hello", plugins_dir(project), "hm-c-hello")

        done = project.hm("c-hello", raw=True)

        assert (0, "hello from C\n") == (done.returncode, done.stdout)


class TestOneRegistry:
    def test_python_and_native_plugins_are_listed_together(
        self, native: Built, project: Project
    ) -> None:
        """`hm plugin list` shows the built-in Python executor beside a native plugin."""
        native.install("noop-executor", plugins_dir(project), "harmont-fixture-noop")

        done = project.hm("plugin", "list", "--format", "json", raw=True)
        rows = {row["name"]: (row["kind"], row["status"]) for row in json.loads(done.stdout)}

        assert ("python", "loaded") == rows["local"]
        assert ("native", "loaded") == rows["harmont-fixture-noop"]

    def test_install_validates_and_names_the_file_for_its_manifest(
        self, native: Built, project: Project
    ) -> None:
        """`hm plugin install` of a library copies it to ~/.harmont/plugins/<manifest name>."""
        done = project.hm("plugin", "install", str(native.path("noop-executor")), raw=True)
        target = plugins_dir(project) / f"harmont-fixture-noop{native.path('noop-executor').suffix}"

        assert (0, f"Installed {target}: plugins harmont-fixture-noop\n") == (
            done.returncode,
            done.stdout,
        )
        assert native.path("noop-executor").read_bytes() == target.read_bytes()

    def test_install_refuses_a_wrong_api_version(self, native: Built, project: Project) -> None:
        """A plugin for another API version is refused at install time, exit 5."""
        library = native.path("bad_api_version")

        done = project.hm("plugin", "install", str(library), raw=True)

        assert 5 == done.returncode
        assert (
            f"error: native plugin {library}: api_version mismatch (plugin: 9999, host: 2) "
            "(isolated)"
        ) == done.stderr.splitlines()[0]
        assert not plugins_dir(project).exists()


class TestHooksOfBothKinds:
    def test_python_and_native_hooks_fire_in_one_build(
        self, native: Built, project: Project, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """One build delivers its events to a Python hook and to the native recording hook."""
        import harmont
        from harmont.protocol import (
            HookContinue,
            HookEvent,
            HookEventKind,
            HookPhase,
            LifecycleHookSpec,
            PluginManifest,
        )

        seen: list[str] = []

        class PythonHook:
            @harmont.hookimpl
            def hm_plugin_manifest(self) -> PluginManifest:
                return PluginManifest(
                    api_version=2,
                    name="python-hook",
                    version="1.0.0",
                    description="",
                    capabilities=(
                        LifecycleHookSpec(
                            events=tuple(HookEventKind), phase=HookPhase.AFTER, timeout_ms=5000
                        ),
                    ),
                )

            @harmont.hookimpl
            def hm_on_hook_event(self, context: object, hook_event: HookEvent) -> HookContinue:
                seen.append(hook_event.event.KIND)
                return HookContinue()

        for name, value in project.env.items():
            monkeypatch.setenv(name, value)
        native.install("recording-hook", plugins_dir(project), "harmont-fixture-rec-hook")
        pipeline = project.pipeline(command("one", "true"), command("two", "true"))

        result = harmont.run(
            pipeline, directory=project.root, runner="local", plugins=[PythonHook()]
        )
        counts = {
            kind: plugin_kv(project, "harmont-fixture-rec-hook", f"hook:{kind}")
            for kind in ("build_start", "step_end", "build_end")
        }

        assert 0 == result.exit_code
        assert (1, 2, 1) == (
            seen.count("build_start"),
            seen.count("step_end"),
            seen.count("build_end"),
        )
        assert {"build_start": b"1", "step_end": b"2", "build_end": b"1"} == counts


class TestRun:
    def test_a_freestyle_step_reaches_its_native_runner(
        self, native: Built, project: Project
    ) -> None:
        """A step naming `runner: freestyle` runs on the fixture, which records the step key."""
        native.install("freestyle-runner", plugins_dir(project), "harmont-fixture-freestyle")
        project.pipeline(command("free-step", "ignored", runner="freestyle"))

        done = project.hm()

        assert 0 == done.returncode, done.stderr
        assert ["freestyle ran free-step"] == done.logs("free-step")
        assert b"free-step" == plugin_kv(
            project, "harmont-fixture-freestyle", "freestyle_called_with"
        )

    def test_a_segfaulting_isolated_runner_fails_its_step_and_hm_survives(
        self, native: Built, project: Project
    ) -> None:
        """SIGSEGV in an isolated executor fails its step; the other chain completes; exit 6."""
        native.install("crashing-executor", plugins_dir(project), "harmont-fixture-crash")
        (project.root / ".harmont").mkdir()
        (project.root / ".harmont" / "plugins.toml").write_text(
            '[plugins.harmont-fixture-crash]\nisolation = "process"\n'
        )
        project.pipeline(command("boom", "ignored", runner="crash"), command("fine", "echo fine"))
        message = (
            "plugin 'harmont-fixture-crash' failed during 'execute_step': "
            "its worker process died of SIGSEGV"
        )

        done = project.hm("--keep-going")

        assert 6 == done.returncode
        assert [("boom", 1, message)] == [
            (e.failed_step_key, e.exit_code, e.message) for e in done.of(ChainFailed)
        ]
        assert ["fine"] == done.logs("fine")
        assert [6] == [e.exit_code for e in done.of(BuildEnd)]
        assert f"build failed: {message}\n" == done.stderr
