"""harmont_sdk: builders, spec_from_command, the capability bases and the testing fixtures."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import pytest
import typer

import harmont
import harmont_sdk
from harmont import PluginRuntimeError
from harmont_sdk import (
    API_VERSION,
    ExitInfo,
    FlagArg,
    HookEventKind,
    HookPhase,
    KvScope,
    LifecycleHookSpec,
    OptionArg,
    PositionalArg,
    Subcommand,
    SubcommandSpec,
    ValueType,
    hook,
    manifest,
    spec_from_command,
    subcommand,
)
from harmont_sdk.testing import run_subcommand

if TYPE_CHECKING:
    from pathlib import Path

    from harmont import Registry
    from harmont_sdk import PluginContext, SubcommandInput


class TestBuilders:
    def test_manifest_uses_the_current_api_version(self) -> None:
        """manifest() fills in API_VERSION and keeps the capabilities in order."""
        built = manifest("p", "1.0.0", subcommand("a", "x"), hook(["build_end"]))

        assert (API_VERSION, ("subcommand", "lifecycle_hook")) == (
            built.api_version,
            tuple(c.KIND for c in built.capabilities),
        )

    def test_hook_accepts_names(self) -> None:
        """hook() takes event names or kinds, and defaults to the after phase."""
        assert LifecycleHookSpec(
            events=(HookEventKind.STEP_END,), phase=HookPhase.BEFORE, timeout_ms=5000
        ) == hook(["step_end"], phase="before")

    def test_hookimpl_is_one_marker(self) -> None:
        """harmont.hookimpl and harmont_sdk.hookimpl are the same object."""
        assert harmont.hookimpl is harmont_sdk.hookimpl


class TestSpecFromCommand:
    def test_typer_app_with_subcommands(self) -> None:
        """Positionals, flags and defaulted int options map like the reference's test."""
        app = typer.Typer()

        @app.command("do-it")
        def do_it(
            name: str,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show.")] = False,
        ) -> None:
            """Do it."""

        @app.command("list")
        def list_(limit: Annotated[int, typer.Option("--limit", "-l")] = 50) -> None:
            """List them."""

        spec = spec_from_command(app, verb="tool")

        assert (
            SubcommandSpec(
                verb="tool",
                about="",
                args=(),
                subcommands=(
                    SubcommandSpec(
                        verb="do-it",
                        about="Do it.",
                        args=(
                            PositionalArg(name="name", required=True, value_type=ValueType.STRING),
                            FlagArg(long="dry-run", help="Only show."),
                        ),
                        subcommands=(),
                    ),
                    SubcommandSpec(
                        verb="list",
                        about="List them.",
                        args=(
                            OptionArg(
                                long="limit",
                                short="l",
                                required=False,
                                value_type=ValueType.INT,
                                default="50",
                            ),
                        ),
                        subcommands=(),
                    ),
                ),
            )
            == spec
        )

    def test_command_without_a_name_needs_a_verb(self) -> None:
        """A nameless command cannot become a verb without verb=."""
        with pytest.raises(ValueError, match="pass verb="):
            spec_from_command(typer.core.TyperCommand(None))


class TestBases:
    def test_class_without_manifest_is_a_broken_plugin(self, registry: Registry) -> None:
        """Forgetting the manifest is reported with what to do about it."""

        class NoManifest(Subcommand):
            def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
                return ExitInfo(exit_code=0)

        with pytest.raises(PluginRuntimeError, match="has no `manifest` class attribute"):
            registry.register(NoManifest())

    def test_subcommand_uses_the_real_host(
        self, registry: Registry, capfdbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        """A verb writes through the host and keeps plugin-scope state between calls."""

        class Counter(Subcommand):
            manifest = manifest("counter", "1.0.0", subcommand("count", "count calls"))

            def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
                seen = int(context.kv_get(KvScope.PLUGIN, "n") or b"0") + 1
                context.kv_set(KvScope.PLUGIN, "n", str(seen).encode())
                context.write_stdout(f"call {seen}\n".encode())
                return ExitInfo(exit_code=0)

        registry.register(Counter())
        run_subcommand(registry, ["count"])
        run_subcommand(registry, ["count"])

        assert b"call 1\ncall 2\n" == capfdbinary.readouterr().out


class TestFixtures:
    def test_hm_home_isolates_the_environment(self, hm_home: Path) -> None:
        """hm_home points HOME at a temporary directory and turns autoload off."""
        assert (str(hm_home), "1") == (os.environ["HOME"], os.environ["HM_NO_PLUGIN_AUTOLOAD"])

    def test_hm_home_keeps_what_hm_caches_inside_it(self, hm_home: Path) -> None:
        """The capability index of a test goes under hm_home, never the user's cache."""
        from harmont._plugins._capability_index import index_path

        assert index_path().startswith(f"{hm_home}{os.sep}")

    def test_hm_registry_has_only_builtins(self, hm_registry: Registry) -> None:
        """hm_registry loads harmont's own plugins and nothing installed beside it."""
        assert all(p.builtin for p in hm_registry.plugins())
