"""Static manifest validation: each rule, in order, with the line it reports."""

from __future__ import annotations

import attrs
import pytest

from harmont import PluginLoadError
from harmont._plugins._manifest import validate_manifest
from harmont_sdk import (
    API_VERSION,
    executor,
    flag,
    hook,
    manifest,
    option,
    positional,
    subcommand,
)


def _reason(value: object, name: str = "p") -> str:
    with pytest.raises(PluginLoadError) as info:
        validate_manifest(value, name=name, source="test")
    return info.value.message


class TestValidateManifest:
    def test_valid_manifest_is_returned(self) -> None:
        """A manifest that passes every rule comes back unchanged."""
        good = manifest("p", "1.0.0", executor("local", default=True), hook(["step_end"]))

        assert good is validate_manifest(good, name="p", source="test")

    def test_not_a_manifest(self) -> None:
        """A hook that returns something else is named with the type it returned."""
        assert "plugin 'p': hm_plugin_manifest returned dict, expected PluginManifest" == (
            _reason({"name": "p"})
        )

    def test_api_version_is_checked_before_anything_else(self) -> None:
        """A foreign api_version wins over every other defect of the manifest."""
        bad = attrs.evolve(manifest("other", "nope"), api_version=9999)

        assert f"plugin 'p': api_version mismatch (plugin: 9999, host: {API_VERSION})" == (
            _reason(bad)
        )

    def test_name_must_equal_entry_point_name(self) -> None:
        """The manifest name and the entry-point name must agree."""
        assert "plugin 'p': manifest name 'q' differs from its entry-point name 'p'" == (
            _reason(manifest("q", "1.0.0", executor("x")))
        )

    def test_version_must_be_semver(self) -> None:
        """A version that is not x.y.z is refused."""
        assert "plugin 'p': version '1.0' is not a semantic version (x.y.z)" == (
            _reason(manifest("p", "1.0", executor("x")))
        )

    def test_empty_capabilities(self) -> None:
        """A plugin must declare at least one capability."""
        assert "plugin 'p': declared no capabilities" == _reason(manifest("p", "1.0.0"))

    @pytest.mark.parametrize("runner", ["", "  ", "my runner"])
    def test_blank_or_spaced_runner(self, runner: str) -> None:
        """An empty, blank or whitespace-containing runner name is refused."""
        expected = f"plugin 'p': StepExecutorSpec.runner '{runner}' is empty or has whitespace"

        assert expected == _reason(manifest("p", "1.0.0", executor(runner)))

    def test_same_runner_twice(self) -> None:
        """One plugin cannot declare the same runner twice."""
        assert "plugin 'p': declared the same runner twice ('x')" == (
            _reason(manifest("p", "1.0.0", executor("x"), executor("x")))
        )

    def test_two_defaults_in_one_plugin(self) -> None:
        """One plugin cannot make two of its runners the default."""
        both = manifest("p", "1.0.0", executor("a", default=True), executor("b", default=True))

        assert "plugin 'p': declared more than one default runner (a, b)" == _reason(both)

    def test_same_verb_twice(self) -> None:
        """One plugin cannot declare the same top-level verb twice."""
        twice = manifest("p", "1.0.0", subcommand("go", "a"), subcommand("go", "b"))

        assert "plugin 'p': declared the same subcommand verb twice ('go')" == _reason(twice)

    def test_nested_verb_twice(self) -> None:
        """A verb cannot have two children of the same name."""
        nested = subcommand(
            "org", "orgs", subcommands=[subcommand("use", "a"), subcommand("use", "b")]
        )

        assert "plugin 'p': subcommand 'org' declares 'use' twice" == (
            _reason(manifest("p", "1.0.0", nested))
        )

    @pytest.mark.parametrize("verb", ["", "two words", "-x"])
    def test_bad_verb(self, verb: str) -> None:
        """A verb must be one word that does not look like an option."""
        expected = (
            f"plugin 'p': subcommand verb '{verb}' is empty, has whitespace or starts with '-'"
        )

        assert expected == _reason(manifest("p", "1.0.0", subcommand(verb, "x")))

    def test_duplicate_argument(self) -> None:
        """Two arguments of one verb cannot share a name."""
        spec = subcommand("go", "x", positional("name"), option("name"))

        assert "plugin 'p': subcommand 'go': argument 'name' is declared twice" == (
            _reason(manifest("p", "1.0.0", spec))
        )

    def test_help_argument_is_reserved(self) -> None:
        """``--help`` belongs to hm."""
        assert "plugin 'p': subcommand 'go': argument name 'help' is reserved" == (
            _reason(manifest("p", "1.0.0", subcommand("go", "x", flag("help"))))
        )

    def test_short_option_taken(self) -> None:
        """Two options of one verb cannot share a short form, and ``-h`` is hm's."""
        spec = subcommand("go", "x", flag("hard", short="h"))

        assert "plugin 'p': subcommand 'go': short option '-h' is taken" == (
            _reason(manifest("p", "1.0.0", spec))
        )

    def test_hook_without_events(self) -> None:
        """A hook subscribed to nothing would never run."""
        assert "plugin 'p': LifecycleHookSpec.events is empty: the hook would never run" == (
            _reason(manifest("p", "1.0.0", hook([])))
        )

    def test_hook_with_zero_timeout(self) -> None:
        """A zero time limit would time out every call."""
        assert "plugin 'p': LifecycleHookSpec.timeout_ms must be positive" == (
            _reason(manifest("p", "1.0.0", hook(["build_end"], timeout_ms=0)))
        )

    def test_error_carries_plugin_and_source(self) -> None:
        """The error names the plugin and where it came from, with a hint."""
        with pytest.raises(PluginLoadError) as info:
            validate_manifest(manifest("p", "1.0.0"), name="p", source="mod:attr (dist 1)")

        assert ("p", "mod:attr (dist 1)") == (info.value.plugin, info.value.source)
        assert info.value.hint is not None
