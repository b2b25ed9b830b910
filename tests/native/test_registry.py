"""Native plugins in the registry: loading, validation, conflicts."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from harmont import PluginConflict, PluginLoadError
from harmont._plugins._discovery import NATIVE_SUFFIX
from harmont._plugins._manager import PluginStatus, Registry, load_registry
from harmont._plugins._native import isolation_for, load_native
from harmont.protocol import API_VERSION, PluginManifest, StepExecutorSpec
from tests.components import unavailable

if TYPE_CHECKING:
    from pathlib import Path

    from tests.native_support import Built


def _load(tmp_path: Path, *extra: Path) -> Registry:
    """A registry of the native libraries in ``extra`` only."""
    return load_registry(
        autoload=False, extra_paths=extra, env={"HOME": str(tmp_path)}, project_root=tmp_path
    )


class TestLoading:
    def test_three_fixtures_load_with_their_capabilities(
        self, native: Built, tmp_path: Path
    ) -> None:
        """noop, recording-hook and failing-subcommand load: runner noop, verb fixture-fail."""
        plugins = tmp_path / "plugins"
        for crate in ("noop-executor", "recording-hook", "failing-subcommand"):
            native.install(crate, plugins)

        registry = _load(tmp_path, plugins)
        names = {m.name for m in registry.manifests()}

        assert {
            "harmont-fixture-noop",
            "harmont-fixture-rec-hook",
            "harmont-fixture-failing",
        } <= names
        assert "noop" in registry.runners()
        assert "fixture-fail" in registry.verbs()
        assert "harmont-fixture-noop" == registry.owner_of_runner("noop")
        rows = {p.name: (p.kind, p.status) for p in registry.plugins()}
        assert ("native", PluginStatus.LOADED) == rows["harmont-fixture-rec-hook"]

    def test_wrong_api_version_is_broken_and_the_others_load(
        self, native: Built, tmp_path: Path
    ) -> None:
        """The bad-api fixture is refused on the peek alone, naming 9999 and 2; noop still loads."""
        plugins = tmp_path / "plugins"
        native.install("bad_api_version", plugins, name="harmont-fixture-bad-api")
        native.install("noop-executor", plugins)

        registry = _load(tmp_path, plugins)
        broken = [p for p in registry.plugins() if p.status is PluginStatus.BROKEN]

        assert ["harmont-fixture-bad-api"] == [p.name for p in broken]
        assert (
            f"native plugin {plugins / broken[0].source.rsplit('/', 1)[-1]}: "
            f"api_version mismatch (plugin: 9999, host: {API_VERSION})"
        ) == broken[0].error
        assert "noop" in registry.runners()

    def test_the_same_plugin_twice_is_reported_by_name_and_both_paths(
        self, native: Built, tmp_path: Path
    ) -> None:
        """A second copy of a loaded plugin is broken, naming the copy already loaded."""
        first = native.install("noop-executor", tmp_path / "a")
        native.install("noop-executor", tmp_path / "b", name="noop-copy")

        registry = _load(tmp_path, tmp_path / "a", tmp_path / "b")
        broken = [p for p in registry.plugins() if p.status is PluginStatus.BROKEN]

        assert [
            "plugin 'harmont-fixture-noop': another plugin of that name is already loaded "
            f"from {first}"
        ] == [p.error for p in broken]

    def test_a_runner_claimed_by_a_python_and_a_native_plugin_names_both(
        self, native: Built, tmp_path: Path
    ) -> None:
        """A Python plugin and a native plugin claiming runner noop conflict, naming both."""
        from harmont import hookimpl

        class PythonNoop:
            @hookimpl
            def hm_plugin_manifest(self) -> PluginManifest:
                return PluginManifest(
                    api_version=API_VERSION,
                    name="python-noop",
                    version="1.0.0",
                    description="",
                    capabilities=(StepExecutorSpec(runner="noop", default=False),),
                )

            @hookimpl
            def hm_execute_step(self, context: object, executor_input: object) -> None:
                raise AssertionError("never called")

        registry = _load(tmp_path)
        registry.register(PythonNoop())
        native_noop = load_native(native.path("noop-executor"))

        with pytest.raises(PluginConflict) as info:
            registry.register(native_noop)

        assert (
            "plugin conflict: both 'python-noop' and 'harmont-fixture-noop' claim 'runner:noop'"
            == str(info.value)
        )

    def test_disabling_by_manifest_name_skips_a_native_plugin(
        self, native: Built, tmp_path: Path
    ) -> None:
        """-p no:NAME works with the manifest name even when the file is named otherwise."""
        plugins = tmp_path / "plugins"
        native.install("noop-executor", plugins, name="libnoop")

        registry = load_registry(
            autoload=False,
            disabled=["harmont-fixture-noop"],
            extra_paths=[plugins],
            env={"HOME": str(tmp_path)},
            project_root=tmp_path,
        )

        assert "noop" not in registry.runners()
        assert [("libnoop", PluginStatus.DISABLED)] == [
            (p.name, p.status) for p in registry.plugins() if p.kind == "native"
        ]

    def test_a_file_that_is_not_a_library_is_broken(self, tmp_path: Path) -> None:
        """An unloadable file is reported as broken with the loader's reason."""
        plugins = tmp_path / "plugins"
        plugins.mkdir()
        (plugins / "junk.so").write_bytes(b"not an ELF file")

        registry = _load(tmp_path, plugins)
        (info,) = [p for p in registry.plugins() if p.kind == "native"]

        assert PluginStatus.BROKEN is info.status
        assert info.error is not None
        assert info.error.startswith(f"native plugin {plugins / 'junk.so'}: cannot open: ")

    def test_a_library_without_the_entry_symbol_is_broken(self, tmp_path: Path) -> None:
        """A shared library that is not a harmont plugin names the missing symbol."""
        compiler = os.environ.get("CC", "cc")
        if shutil.which(compiler) is None:
            unavailable(
                f"building a foreign library needs {compiler}, not installed here",
                tests="native plugin",
            )
        source = tmp_path / "foreign.c"
        source.write_text("int foreign_answer(void) { return 42; }\n")
        library = tmp_path / f"libforeign{NATIVE_SUFFIX}"
        subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
        with pytest.raises(PluginLoadError) as info:
            load_native(library)

        assert f"native plugin {library}: no entry symbol 'hm_plugin_entry_v1'" == str(info.value)


class TestIsolationSetting:
    def test_default_is_in_process(self, tmp_path: Path) -> None:
        """Without configuration a native plugin runs in process."""
        assert "in-process" == isolation_for("p", env={}, project_root=tmp_path)

    def test_environment_applies_to_every_plugin(self, tmp_path: Path) -> None:
        """HM_NATIVE_ISOLATION=process isolates every native plugin."""
        assert "process" == isolation_for(
            "p", env={"HM_NATIVE_ISOLATION": "process"}, project_root=tmp_path
        )

    def test_plugins_toml_isolates_one_plugin(self, tmp_path: Path) -> None:
        """[plugins.NAME] isolation = "process" applies to that plugin only."""
        (tmp_path / ".harmont").mkdir()
        (tmp_path / ".harmont" / "plugins.toml").write_text(
            '[plugins.risky]\nisolation = "process"\n'
        )

        assert ("process", "in-process") == (
            isolation_for("risky", env={}, project_root=tmp_path),
            isolation_for("other", env={}, project_root=tmp_path),
        )

    def test_unknown_value_is_a_load_error(self, tmp_path: Path) -> None:
        """A misspelt isolation value is an error that says what is allowed."""
        with pytest.raises(PluginLoadError) as info:
            isolation_for("p", env={"HM_NATIVE_ISOLATION": "container"}, project_root=tmp_path)

        assert "HM_NATIVE_ISOLATION: expected one of in-process, process, got 'container'" == str(
            info.value
        )
