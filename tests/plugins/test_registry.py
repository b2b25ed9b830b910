"""The registry: loading, broken plugins, conflicts, disabling, lookups and one-owner calls."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from harmont import (
    AuthError,
    EngineUnavailable,
    PluginConflict,
    PluginLoadError,
    PluginRuntimeError,
    PluginStatus,
    Registry,
    UnknownRunner,
    UsageError,
    load_registry,
)
from harmont._plugins._discovery import NATIVE_SUFFIX
from harmont.protocol import (
    BuildEnd,
    ChainFailed,
    CommandStep,
    ExecutorInput,
    HookAbort,
    HookContinue,
    HookEvent,
    HookEventKind,
    HookPhase,
    StepEnd,
    SubcommandInput,
)
from harmont_sdk import (
    ExitInfo,
    LifecycleHook,
    StepExecutor,
    StepResult,
    Subcommand,
    executor,
    hook,
    hookimpl,
    manifest,
    subcommand,
)
from harmont_sdk.testing import execute_step, run_subcommand, send_event
from tests.plugins.conftest import PLUGIN_SOURCE

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import PluginContext
    from harmont.protocol import HookOutcome
    from tests.plugins.conftest import MakeDist


def _runner(name: str, runner: str, *, default: bool = False) -> StepExecutor:
    class Runner(StepExecutor):
        manifest = manifest(name, "1.0.0", executor(runner, default=default))

        def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
            return StepResult(exit_code=len(executor_input.step.key), committed_snapshot=name)

    return Runner()


def _failing_verb(error: Exception) -> Subcommand:
    class Failing(Subcommand):
        manifest = manifest("failing", "1.0.0", subcommand("fail", "fails"))

        def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
            raise error

    return Failing()


def _verb(name: str, verb: str) -> Subcommand:
    class Verb(Subcommand):
        manifest = manifest(name, "1.0.0", subcommand(verb, "a verb"))

        def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
            return ExitInfo(exit_code=7, message=repr(subcommand_input.args))

    return Verb()


def _executor_input(key: str = "build", runner: str | None = None) -> ExecutorInput:
    from harmont.protocol import CacheMissNoCommit

    return ExecutorInput(
        step=CommandStep(key=key, cmd="true", runner=runner),
        workspace_archive_id=uuid.uuid4(),
        env={},
        workdir="/workspace",
        run_id=uuid.uuid4(),
        step_id=uuid.uuid4(),
        cache_lookup=CacheMissNoCommit(),
    )


_STEP_END = StepEnd(step_id=uuid.uuid4(), exit_code=0, duration_ms=5)


class Recorder(LifecycleHook):
    """A hook that records what it saw and answers with a preset outcome."""

    def __init__(
        self,
        name: str,
        seen: list[str],
        *,
        phase: HookPhase = HookPhase.AFTER,
        outcome: HookOutcome | None = None,
        sleep_s: float = 0.0,
        timeout_ms: int = 2000,
    ) -> None:
        self.manifest = manifest(  # type: ignore[misc]  # per-instance manifest for tests
            name, "1.0.0", hook(["step_end", "build_end"], phase=phase, timeout_ms=timeout_ms)
        )
        self._name = name
        self._seen = seen
        self._outcome = outcome or HookContinue()
        self._sleep_s = sleep_s

    def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        time.sleep(self._sleep_s)
        self._seen.append(f"{self._name}:{context.plugin}:{hook_event.event.KIND}")
        return self._outcome


class Raising(LifecycleHook):
    """A hook that raises a preset exception."""

    def __init__(self, name: str, error: Exception, *, phase: HookPhase = HookPhase.AFTER) -> None:
        self.manifest = manifest(  # type: ignore[misc]  # per-instance manifest for tests
            name, "1.0.0", hook(["step_end"], phase=phase)
        )
        self._error = error

    def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        raise self._error


class _FailingRunner(StepExecutor):
    """The runner ``fail``, whose every step raises a preset exception."""

    manifest = manifest("failing-runner", "1.0.0", executor("fail"))

    def __init__(self, error: Exception) -> None:
        self._error = error

    def execute_step(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        raise self._error


class TestRegister:
    def test_register_indexes_capabilities(self, registry: Registry) -> None:
        """A registered plugin's runners and verbs become lookups."""
        registry.register(_runner("r", "local", default=True))
        registry.register(_verb("v", "junit"))

        assert (["local"], "local", ["junit"]) == (
            registry.runners(),
            registry.default_runner(),
            registry.verbs(),
        )
        assert ["r", "v"] == [m.name for m in registry.manifests()]

    def test_plugin_data_has_the_manifests_capabilities(self, registry: Registry) -> None:
        """PluginInfo.to_data gives each capability as the manifest's data, the summaries aside."""
        registry.register(_runner("r", "local", default=True), source="here")

        info = next(p for p in registry.plugins() if p.name == "r")

        assert ("runner:local (default)",) == info.capabilities
        assert {
            "name": "r",
            "version": "1.0.0",
            "kind": "python",
            "status": "loaded",
            "builtin": False,
            "source": "here",
            "distribution": None,
            "capabilities": [
                {"kind": "step_executor", "runner": "local", "default": True, "step_schema": None}
            ],
            "error": None,
        } == info.to_data()

    def test_module_style_plugin(self, registry: Registry) -> None:
        """A plain object with @hookimpl functions is a plugin too, no SDK base needed."""

        class Plain:
            @hookimpl
            def hm_plugin_manifest(self) -> object:
                return manifest("plain", "0.1.0", executor("plain"))

            @hookimpl
            def hm_execute_step(self, executor_input: ExecutorInput) -> StepResult:
                return StepResult(exit_code=3)

        registry.register(Plain())

        assert 3 == execute_step(registry, _executor_input(), runner="plain").exit_code

    def test_declared_capability_needs_its_hook(self, registry: Registry) -> None:
        """Declaring a runner without implementing hm_execute_step is a load error."""

        class Liar:
            @hookimpl
            def hm_plugin_manifest(self) -> object:
                return manifest("liar", "1.0.0", executor("x"))

        with pytest.raises(PluginLoadError) as info:
            registry.register(Liar())

        assert (
            "plugin 'liar': declares a step_executor capability but does not implement "
            "hm_execute_step"
        ) == info.value.message
        assert [] == registry.runners()

    def test_unknown_hook_is_a_load_error(self, registry: Registry) -> None:
        """An implementation of a hook harmont does not define is refused."""

        class Typo:
            @hookimpl
            def hm_plugin_manifest(self) -> object:
                return manifest("typo", "1.0.0", executor("x"))

            @hookimpl
            def hm_execute_stepp(self) -> None:
                return None

        with pytest.raises(PluginLoadError, match="implements unknown hook 'hm_execute_stepp'"):
            registry.register(Typo())

    def test_wrong_hook_arguments_is_a_load_error(self, registry: Registry) -> None:
        """pluggy's signature check surfaces as a PluginLoadError."""

        class BadArgs:
            @hookimpl
            def hm_plugin_manifest(self, nope: int) -> object:
                return None

        with pytest.raises(PluginLoadError, match="nope"):
            registry.register(BadArgs())


class TestConflicts:
    def test_two_owners_of_a_runner(self, registry: Registry) -> None:
        """The second claimant of a runner is a conflict naming both plugins."""
        registry.register(_runner("first", "k8s"))

        with pytest.raises(PluginConflict) as info:
            registry.register(_runner("second", "k8s"))

        assert "plugin conflict: both 'first' and 'second' claim 'runner:k8s'" == (
            info.value.message
        )
        assert ["first"] == [m.name for m in registry.manifests()]

    def test_two_owners_of_a_verb(self, registry: Registry) -> None:
        """The second claimant of a verb is a conflict naming both plugins."""
        registry.register(_verb("first", "deploy"))

        with pytest.raises(PluginConflict, match="both 'first' and 'second' claim 'verb:deploy'"):
            registry.register(_verb("second", "deploy"))

    def test_second_default_runner(self, registry: Registry) -> None:
        """Only one plugin may provide the default runner."""
        registry.register(_runner("first", "a", default=True))

        with pytest.raises(
            PluginConflict, match="both 'first' and 'second' claim 'default-runner'"
        ):
            registry.register(_runner("second", "b", default=True))

        assert ("a", ["a"]) == (registry.default_runner(), registry.runners())

    @pytest.mark.parametrize("verb", ["run", "plugin", "version"])
    def test_verb_shadowing_a_builtin(self, registry: Registry, verb: str) -> None:
        """A plugin verb may not shadow a built-in command."""
        with pytest.raises(PluginConflict) as info:
            registry.register(_verb("shadow", verb))

        assert f"plugin conflict: both 'hm' and 'shadow' claim 'verb:{verb}'" == info.value.message

    def test_conflicting_entry_points_fail_the_load(self, make_dist: MakeDist) -> None:
        """Two installed plugins that claim one runner make load_registry raise."""
        make_dist("alpha", PLUGIN_SOURCE.format(name="alpha", runner="k8s", verb="va"))
        make_dist("beta", PLUGIN_SOURCE.format(name="beta", runner="k8s", verb="vb"))

        with pytest.raises(PluginConflict, match="both 'alpha' and 'beta' claim 'runner:k8s'"):
            load_registry(env={})


class TestLoadRegistry:
    def test_entry_point_plugin_loads(self, make_dist: MakeDist) -> None:
        """An installed distribution's plugin is loaded, listed and indexed."""
        make_dist("hm-good", PLUGIN_SOURCE.format(name="hm-good", runner="good", verb="good"))

        registry = load_registry(env={})
        info = next(p for p in registry.plugins() if p.name == "hm-good")

        assert (PluginStatus.LOADED, "1.2.3", "python", ("runner:good", "verb:good")) == (
            info.status,
            info.version,
            info.kind,
            info.capabilities,
        )
        assert "hm-good" == info.distribution
        assert "good" in registry.runners()

    def test_broken_plugins_do_not_stop_the_others(self, make_dist: MakeDist) -> None:
        """Import errors, bad manifests and wrong api_versions are recorded; the rest loads."""
        module = make_dist("a-import", "import does_not_exist_anywhere\nplugin = None\n")
        make_dist(
            "b-api",
            """
            import attrs
            from harmont_sdk import Subcommand, manifest, subcommand

            class Plugin(Subcommand):
                manifest = attrs.evolve(manifest("b-api", "1.0.0", subcommand("b", "b")),
                                        api_version=9999)
                def run(self, context, subcommand_input): ...

            plugin = Plugin
            """,
        )
        make_dist("c-good", PLUGIN_SOURCE.format(name="c-good", runner="c", verb="c"))
        make_dist(
            "d-raises",
            "from harmont_sdk import hookimpl\n"
            "@hookimpl\ndef hm_plugin_manifest():\n    raise RuntimeError('boom')\n",
            attr=None,
        )

        registry = load_registry(env={})
        rows = {p.name: (p.status, p.error) for p in registry.plugins()}

        assert PluginStatus.LOADED == rows["c-good"][0]
        assert (
            PluginStatus.BROKEN,
            f"plugin 'a-import': cannot import {module}:plugin: "
            "ModuleNotFoundError: No module named 'does_not_exist_anywhere'",
        ) == rows["a-import"]
        assert (
            PluginStatus.BROKEN,
            "plugin 'b-api': api_version mismatch (plugin: 9999, host: 2)",
        ) == (rows["b-api"])
        assert PluginStatus.BROKEN == rows["d-raises"][0]
        assert "raised RuntimeError during 'hm_plugin_manifest': boom" in str(rows["d-raises"][1])

    def test_third_party_plugins_load_in_name_order(self, make_dist: MakeDist) -> None:
        """Entry points load by name, whatever the order of the filesystem."""
        for name in ("zeta", "alpha", "mid"):
            make_dist(name, PLUGIN_SOURCE.format(name=name, runner=name, verb=name))

        names = [p.name for p in load_registry(env={}).plugins() if not p.builtin]

        assert ["alpha", "mid", "zeta"] == names

    def test_disabled_by_argument_and_environment(self, make_dist: MakeDist) -> None:
        """-p no:NAME and HM_DISABLE_PLUGINS keep plugins out without importing them."""
        make_dist("one", "raise SystemExit('must never be imported')\n")
        make_dist("two", "raise SystemExit('must never be imported')\n")
        make_dist("three", PLUGIN_SOURCE.format(name="three", runner="t", verb="t"))

        registry = load_registry(disabled=["one"], env={"HM_DISABLE_PLUGINS": " two ,"})
        rows = {p.name: p.status for p in registry.plugins() if not p.builtin}

        assert {
            "one": PluginStatus.DISABLED,
            "two": PluginStatus.DISABLED,
            "three": PluginStatus.LOADED,
        } == rows

    def test_autoload_off_skips_third_party_and_native(
        self, make_dist: MakeDist, tmp_path: Path
    ) -> None:
        """HM_NO_PLUGIN_AUTOLOAD keeps installed plugins and native directories out."""
        make_dist("three", PLUGIN_SOURCE.format(name="three", runner="t", verb="t"))
        (tmp_path / ".harmont" / "plugins").mkdir(parents=True)
        (tmp_path / ".harmont" / "plugins" / f"x{NATIVE_SUFFIX}").write_bytes(b"")

        registry = load_registry(
            env={"HM_NO_PLUGIN_AUTOLOAD": "1", "HOME": str(tmp_path)}, project_root=tmp_path
        )

        assert [] == [p.name for p in registry.plugins() if not p.builtin]

    def test_native_libraries_are_discovered_in_every_directory(self, tmp_path: Path) -> None:
        """User, project and HM_PLUGIN_PATH libraries are all found, in that order."""
        home, project, extra = tmp_path / "home", tmp_path / "proj", tmp_path / "extra"
        for directory in (home / ".harmont" / "plugins", project / ".harmont" / "plugins", extra):
            directory.mkdir(parents=True)
        (home / ".harmont" / "plugins" / f"user{NATIVE_SUFFIX}").write_bytes(b"")
        (home / ".harmont" / "plugins" / "notes.txt").write_text("ignored")
        (project / ".harmont" / "plugins" / f"proj{NATIVE_SUFFIX}").write_bytes(b"")
        (extra / f"extra{NATIVE_SUFFIX}").write_bytes(b"")

        registry = load_registry(
            env={"HOME": str(home), "HM_PLUGIN_PATH": str(extra)}, project_root=project
        )
        native = [(p.name, p.kind, p.source) for p in registry.plugins() if p.kind == "native"]

        assert [
            ("user", "native", str(home / ".harmont" / "plugins" / f"user{NATIVE_SUFFIX}")),
            ("proj", "native", str(project / ".harmont" / "plugins" / f"proj{NATIVE_SUFFIX}")),
            ("extra", "native", str(extra / f"extra{NATIVE_SUFFIX}")),
        ] == native

    def test_a_bad_native_library_does_not_stop_python_plugins(
        self, make_dist: MakeDist, tmp_path: Path
    ) -> None:
        """A native file that cannot load is listed as broken; Python plugins still load."""
        make_dist("three", PLUGIN_SOURCE.format(name="three", runner="t", verb="t"))
        (tmp_path / ".harmont" / "plugins").mkdir(parents=True)
        (tmp_path / ".harmont" / "plugins" / f"junk{NATIVE_SUFFIX}").write_bytes(b"not elf")

        registry = load_registry(env={"HOME": str(tmp_path)}, project_root=tmp_path)
        rows = {p.name: p.status for p in registry.plugins() if not p.builtin}

        assert {"three": PluginStatus.LOADED, "junk": PluginStatus.BROKEN} == rows


class TestBuiltinRunners:
    def test_every_runner_module_implements_every_shared_hook(self, tmp_path: Path) -> None:
        """Each hook of RunnerHooks is a hook implementation of every first-party runner."""
        from harmont._executors._common import RunnerHooks

        registry = load_registry(env={"HM_NO_PLUGIN_AUTOLOAD": "1"}, project_root=tmp_path)
        pm = registry.plugin_manager
        shared = sorted(name for name in vars(RunnerHooks) if name.startswith("hm_"))

        implementers = {
            hook: sorted(
                pm.get_name(impl.plugin).split("@")[0]
                for impl in getattr(pm.hook, hook).get_hookimpls()
            )
            for hook in shared
        }

        assert {hook: ["docker", "kubernetes", "local"] for hook in shared} == implementers


class TestLookups:
    def test_unknown_runner_lists_the_available_ones(self, registry: Registry) -> None:
        """An unknown runner is an error, never a fall-back to the default runner."""
        registry.register(_runner("r", "local", default=True))

        with pytest.raises(UnknownRunner) as info:
            registry.resolve_runner("k8s", step_key="build")

        assert "step 'build': unknown runner 'k8s' (available: local)" == info.value.message
        assert UnknownRunner.DEFAULT_HINT == info.value.hint

    @pytest.mark.parametrize(
        ("disabled", "env", "undo"),
        [
            (["local"], {}, "dropping `-p no:local`"),
            ([], {"HM_DISABLE_PLUGINS": "local"}, "removing 'local' from HM_DISABLE_PLUGINS"),
            (
                ["local"],
                {"HM_DISABLE_PLUGINS": "local"},
                "dropping `-p no:local` and removing 'local' from HM_DISABLE_PLUGINS",
            ),
        ],
        ids=["option", "environment", "both"],
    )
    def test_a_disabled_plugins_runner_says_how_to_enable_it(
        self, disabled: list[str], env: dict[str, str], undo: str
    ) -> None:
        """A runner named after a disabled plugin is refused as disabled, with the way back."""
        with (
            load_registry(disabled=disabled, autoload=False, env=env) as registry,
            pytest.raises(UnknownRunner) as info,
        ):
            registry.resolve_runner("local")

        assert (
            "unknown runner 'local': plugin 'local' is disabled (available: docker, kubernetes)",
            f"enable it by {undo}",
        ) == (info.value.message, info.value.hint)

    def test_no_runner_means_the_default(self, registry: Registry) -> None:
        """A step without a runner goes to the default runner."""
        registry.register(_runner("r", "local", default=True))

        assert "local" == registry.resolve_runner(None)

    def test_no_default_runner(self, registry: Registry) -> None:
        """Without a default runner, a step naming none cannot run."""
        with pytest.raises(UnknownRunner, match="no runner given and no plugin provides a default"):
            registry.resolve_runner(None)

    def test_unknown_verb(self, registry: Registry) -> None:
        """An unknown verb is a usage error listing what exists."""
        registry.register(_verb("v", "junit"))

        with pytest.raises(UsageError) as info:
            registry.owner_of_verb("junk")

        assert info.value.message.startswith(
            "unknown command 'junk' (available: cache, config, debug, help, init, junit"
        )

    def test_manifest_lookup(self, registry: Registry) -> None:
        """manifest(name) returns a loaded manifest and refuses unknown names."""
        registry.register(_verb("v", "junit"))

        assert "v" == registry.manifest("v").name
        with pytest.raises(UsageError, match="no plugin named 'w' is installed"):
            registry.manifest("w")


class TestCalls:
    def test_execute_step_reaches_only_the_owner(self, registry: Registry) -> None:
        """A step goes to the plugin that owns its runner, and to no other."""
        registry.register(_runner("one", "a"))
        registry.register(_runner("two", "b"))

        result = execute_step(registry, _executor_input("four", runner="b"))

        assert StepResult(exit_code=4, committed_snapshot="two") == result

    def test_run_subcommand(self, registry: Registry) -> None:
        """A verb reaches its owner with the parsed arguments."""
        registry.register(_verb("v", "junit"))

        assert ExitInfo(exit_code=7, message="{'file': 'x.xml'}") == run_subcommand(
            registry, ["junit", "show"], {"file": "x.xml"}
        )

    def test_a_plugins_refusal_keeps_its_message_and_code(self, registry: Registry) -> None:
        """A coded PluginRuntimeError a plugin raises is its own message after its name."""
        registry.register(_failing_verb(PluginRuntimeError("not logged in", code="no_login")))

        with pytest.raises(PluginRuntimeError) as info:
            run_subcommand(registry, ["fail"])

        assert ("failing: not logged in", "no_login", "failing", "run_subcommand") == (
            info.value.message,
            info.value.code,
            info.value.plugin,
            info.value.capability,
        )

    def test_a_refusal_naming_its_plugin_is_not_prefixed_twice(self, registry: Registry) -> None:
        """A message that starts with the plugin's name already is shown as it is."""
        refusal = PluginRuntimeError("failing: quota spent", code="quota", hint="wait")
        registry.register(_failing_verb(refusal))

        with pytest.raises(PluginRuntimeError) as info:
            run_subcommand(registry, ["fail"])

        assert ("failing: quota spent", "wait") == (info.value.message, info.value.hint)

    def test_a_plugin_error_without_a_code_reads_as_a_failure(self, registry: Registry) -> None:
        """A PluginRuntimeError with no code is not a refusal: the message says where it failed."""
        registry.register(_failing_verb(PluginRuntimeError("half done")))

        with pytest.raises(PluginRuntimeError) as info:
            run_subcommand(registry, ["fail"])

        assert "plugin 'failing' failed during 'run_subcommand': half done" == info.value.message

    def test_an_error_a_host_seam_made_reads_as_a_failure(self, registry: Registry) -> None:
        """An error that already names a capability (a worker crash) keeps the failure form."""
        crash = PluginRuntimeError(
            "worker died", capability="run_subcommand", code="crashed", plugin="failing"
        )
        registry.register(_failing_verb(crash))

        with pytest.raises(PluginRuntimeError) as info:
            run_subcommand(registry, ["fail"])

        assert (
            "plugin 'failing' failed during 'run_subcommand': worker died",
            "crashed",
        ) == (info.value.message, info.value.code)

    def test_unhandled_exception_becomes_plugin_runtime_error(self, registry: Registry) -> None:
        """Any other exception is wrapped with code unhandled_exception."""

        class Crashing(StepExecutor):
            manifest = manifest("crashing", "1.0.0", executor("crash"))

            def execute_step(
                self, context: PluginContext, executor_input: ExecutorInput
            ) -> StepResult:
                raise KeyError("image")

        registry.register(Crashing())

        with pytest.raises(PluginRuntimeError) as info:
            execute_step(registry, _executor_input(runner="crash"))

        assert (
            "plugin 'crashing' raised KeyError during 'execute_step': 'image'",
            "unhandled_exception",
        ) == (info.value.message, info.value.code)

    def test_engine_unavailable_passes_through_unchanged(self, registry: Registry) -> None:
        """EngineUnavailable from a runner reaches the caller as raised, so hm exits 4, not 6."""
        down = EngineUnavailable("docker: the engine does not answer", hint="start Docker")
        registry.register(_FailingRunner(down))

        with pytest.raises(EngineUnavailable) as info:
            execute_step(registry, _executor_input(runner="fail"))

        assert down is info.value

    def test_other_harmont_errors_are_unhandled(self, registry: Registry) -> None:
        """Only EngineUnavailable passes: another HarmontError is wrapped like any exception."""
        registry.register(_FailingRunner(AuthError("token expired")))

        with pytest.raises(PluginRuntimeError) as info:
            execute_step(registry, _executor_input(runner="fail"))

        assert (
            "plugin 'failing-runner' raised AuthError during 'execute_step': token expired",
            "unhandled_exception",
        ) == (info.value.message, info.value.code)

    def test_wrong_result_type(self, registry: Registry) -> None:
        """A plugin returning the wrong type is caught at the seam."""

        class Sloppy(Subcommand):
            manifest = manifest("sloppy", "1.0.0", subcommand("sloppy", "x"))

            def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
                return 0  # type: ignore[return-value]  # the defect under test

        registry.register(Sloppy())

        with pytest.raises(PluginRuntimeError) as info:
            run_subcommand(registry, ["sloppy"])

        assert "plugin 'sloppy' returned int from 'run_subcommand', expected ExitInfo" == (
            info.value.message
        )


class TestDispatchHook:
    def test_hooks_run_in_registration_order_with_their_own_context(
        self, registry: Registry
    ) -> None:
        """Every subscriber of the kind and phase runs, in order, with its own context."""
        seen: list[str] = []
        registry.register(Recorder("h1", seen))
        registry.register(Recorder("h2", seen))
        registry.register(Recorder("early", seen, phase=HookPhase.BEFORE))

        outcome = send_event(registry, _STEP_END)

        assert HookContinue() == outcome
        assert ["h1:h1:step_end", "h2:h2:step_end"] == seen

    def test_hooks_lookup(self, registry: Registry) -> None:
        """hooks(kind, phase) lists subscribers with their time limits."""
        registry.register(Recorder("h1", [], timeout_ms=250))

        assert [("h1", 250)] == registry.hooks(HookEventKind.BUILD_END, HookPhase.AFTER)
        assert [] == registry.hooks(HookEventKind.STEP_LOG, HookPhase.AFTER)

    def test_abort_in_before_stops_the_delivery(self, registry: Registry) -> None:
        """The first abort of a before hook is returned and later hooks are not called."""
        seen: list[str] = []
        abort = HookAbort(reason="no deploys on Friday")
        registry.register(Recorder("a", seen, phase=HookPhase.BEFORE, outcome=abort))
        registry.register(Recorder("b", seen, phase=HookPhase.BEFORE))

        assert abort == send_event(registry, _STEP_END, HookPhase.BEFORE)
        assert ["a:a:step_end"] == seen

    def test_abort_in_after_is_ignored_with_a_warning(
        self, registry: Registry, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An after hook cannot abort; the attempt is logged and the others still run."""
        seen: list[str] = []
        registry.register(Recorder("a", seen, outcome=HookAbort(reason="stop")))
        registry.register(Recorder("b", seen))

        with caplog.at_level(logging.WARNING, logger="harmont.plugins"):
            outcome = send_event(registry, BuildEnd(exit_code=0, duration_ms=1))

        assert HookContinue() == outcome
        assert ["a:a:build_end", "b:b:build_end"] == seen
        assert [
            "plugin 'a' asked to abort in the after phase of build_end; ignored: stop"
        ] == caplog.messages

    def test_timeout_in_before_is_a_runtime_error(self, registry: Registry) -> None:
        """A before hook that overruns its timeout_ms fails with code timeout."""
        registry.register(Recorder("slow", [], phase=HookPhase.BEFORE, sleep_s=1.0, timeout_ms=50))

        started = time.monotonic()
        with pytest.raises(PluginRuntimeError) as info:
            send_event(registry, _STEP_END, HookPhase.BEFORE)

        assert time.monotonic() - started < 0.9
        assert ("plugin 'slow' timed out after 50ms during 'on_hook_event'", "timeout") == (
            info.value.message,
            info.value.code,
        )

    def test_timeout_in_after_is_a_warning(
        self, registry: Registry, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An after hook that overruns is logged and the next hook still runs."""
        seen: list[str] = []
        registry.register(Recorder("slow", [], sleep_s=1.0, timeout_ms=50))
        registry.register(Recorder("fast", seen))

        with caplog.at_level(logging.WARNING, logger="harmont.plugins"):
            send_event(registry, _STEP_END)

        assert ["fast:fast:step_end"] == seen
        assert [
            "plugin 'slow' timed out after 50ms during 'on_hook_event' (ignored: after-phase hook)"
        ] == caplog.messages

    def test_engine_unavailable_in_before_stops_the_build_unchanged(
        self, registry: Registry
    ) -> None:
        """A before hook that finds its engine down raises EngineUnavailable as it was."""
        down = EngineUnavailable("docker: the engine does not answer")
        registry.register(Raising("gate", down, phase=HookPhase.BEFORE))

        with pytest.raises(EngineUnavailable) as info:
            send_event(registry, _STEP_END, HookPhase.BEFORE)

        assert down is info.value

    def test_engine_unavailable_in_after_is_a_warning(
        self, registry: Registry, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An after hook cannot stop the build, even when its engine is down."""
        seen: list[str] = []
        registry.register(Raising("cleanup", EngineUnavailable("docker: the engine is gone")))
        registry.register(Recorder("next", seen))

        with caplog.at_level(logging.WARNING, logger="harmont.plugins"):
            outcome = send_event(registry, _STEP_END)

        assert (HookContinue(), ["next:next:step_end"]) == (outcome, seen)
        assert [
            "plugin 'cleanup' during 'on_hook_event': docker: the engine is gone "
            "(ignored: after-phase hook)"
        ] == caplog.messages

    def test_chain_failed_reaches_no_hook(self, registry: Registry) -> None:
        """chain_failed has no hook kind, so no subscriber is called for it."""
        seen: list[str] = []
        registry.register(Recorder("h", seen))
        event = ChainFailed(
            chain_idx=0,
            failed_step_id=uuid.uuid4(),
            failed_step_key="k",
            exit_code=1,
            message="m",
            ts=datetime.now(UTC),
        )

        assert HookContinue() == send_event(registry, event)
        assert [] == seen

    def test_hooks_may_run_on_worker_threads(self, registry: Registry) -> None:
        """A hook call is bounded on a separate thread, not the caller's."""
        threads: list[str] = []

        class Where(LifecycleHook):
            manifest = manifest("where", "1.0.0", hook(["step_end"]))

            def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
                threads.append(threading.current_thread().name)
                return HookContinue()

        registry.register(Where())
        send_event(registry, _STEP_END)

        assert ["hm-plugin-where"] == threads
