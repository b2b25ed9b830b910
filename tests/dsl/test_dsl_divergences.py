"""
Where we deliberately part from harmont 0.0.9: mistakes it crashes on with an accidental
error (AttributeError, ZeroDivisionError) or silently accepts get a clear, early error,
and hm.sh takes the runner options Step.sh takes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

import harmont as hm
from harmont._dsl import isolated_registry
from harmont.cache import CacheOnChange


class TestPipelineFactory:
    def test_leaf_that_is_not_a_step(self) -> None:
        """A non-step leaf is a TypeError naming it (0.0.9: AttributeError)."""
        with pytest.raises(TypeError, match="pipeline leaves must be steps, got str 'make'"):
            hm.pipeline([hm.sh("make"), "make"])

    def test_extra_positional_argument(self) -> None:
        """A second positional argument is a TypeError (0.0.9 ignores it)."""
        with pytest.raises(TypeError, match="one list of leaves, got 2 positional"):
            hm.pipeline([hm.sh("make")], {"CI": "1"})

    def test_decorator_without_parentheses(self) -> None:
        """@hm.pipeline without parentheses is a TypeError (0.0.9 registers nothing)."""
        with isolated_registry(), pytest.raises(TypeError, match="needs parentheses"):

            @hm.pipeline
            def ci() -> hm.Step:
                return hm.sh("make")


class TestCachePolicies:
    def test_ttl_needs_a_timedelta(self) -> None:
        """hm.ttl of a number is a TypeError at once (0.0.9: AttributeError when rendering)."""
        with pytest.raises(TypeError, match=r"takes a datetime\.timedelta, got int 3600"):
            hm.ttl(3600)

    @pytest.mark.parametrize("duration", [timedelta(0), timedelta(milliseconds=999), -timedelta(1)])
    def test_ttl_under_a_second(self, duration: timedelta) -> None:
        """hm.ttl under a second is a ValueError (0.0.9: ZeroDivisionError or a negative window)."""
        with pytest.raises(ValueError, match="at least one second"):
            hm.ttl(duration)

    def test_env_keys_as_one_string(self) -> None:
        """forever("HOME") is a TypeError (0.0.9 watches H, O, M and E)."""
        with pytest.raises(TypeError, match="env_keys must be a tuple of strings"):
            hm.forever("HOME")

    def test_on_change_paths_as_one_string(self) -> None:
        """CacheOnChange(paths="lock") is a TypeError (0.0.9 watches l, o, c and k)."""
        with pytest.raises(TypeError, match="paths must be a tuple of strings"):
            CacheOnChange(paths="lock")

    def test_cache_that_is_not_a_policy(self) -> None:
        """A cache= that is no policy is a TypeError from .sh(), before any rendering."""
        with pytest.raises(TypeError, match="cache must be a cache policy"):
            hm.sh("make", cache="forever")


class TestDecoratorOptions:
    @pytest.mark.parametrize("triggers", [hm.push(branch="main"), ["main"]], ids=["bare", "str"])
    def test_triggers_must_be_a_list_of_triggers(self, triggers: Any) -> None:
        """triggers= must be an iterable of triggers, checked when decorating."""
        with isolated_registry(), pytest.raises(TypeError, match="triggers must be"):

            @hm.pipeline("ci", triggers=triggers)
            def ci() -> hm.Step:
                return hm.sh("make")

    def test_timeout_is_checked_when_decorating(self) -> None:
        """A bad pipeline timeout raises at declaration (0.0.9: when rendering), as ValueError."""
        with isolated_registry() as registry, pytest.raises(ValueError, match="'soon'"):

            @hm.pipeline("ci", timeout="soon")
            def ci() -> hm.Step:
                return hm.sh("make")

        assert () == registry.pipelines

    def test_slug_with_trailing_newline(self) -> None:
        """A slug ending in a newline is invalid (0.0.9's regex lets it through)."""
        with isolated_registry(), pytest.raises(ValueError, match="invalid pipeline slug"):

            @hm.pipeline("ci\n")
            def ci() -> hm.Step:
                return hm.sh("make")


class TestShRunnerOptions:
    def test_sh_takes_runner_options(self) -> None:
        """hm.sh passes runner= and runner_args= on, as Step.sh does (0.0.9: TypeError)."""
        document = hm.pipeline([hm.sh("make", runner="local", runner_args={"shell": "bash"})])
        step = json.loads(hm.pipeline_to_json(document))["graph"]["nodes"][0]["step"]

        assert ("local", {"shell": "bash"}) == (step["runner"], step["runner_args"])


class TestToolchainHelpers:
    def test_unknown_js_runtime(self) -> None:
        """An unknown runtime is a ValueError (0.0.9 silently installs Node instead)."""
        with pytest.raises(ValueError, match="unknown runtime 'python'; use 'node', 'bun'"):
            hm.js.project(runtime="python")

    @pytest.mark.parametrize(
        "make",
        [
            lambda: hm.go(version="1.23.2\n"),
            lambda: hm.zig(version="0.14.1\n"),
            lambda: hm.rust.toolchain(version="stable\n"),
            lambda: hm.cmake(compiler="gcc\n"),
        ],
        ids=["go", "zig", "rust", "cmake"],
    )
    def test_version_with_a_trailing_newline(self, make: Any) -> None:
        """A trailing newline is no part of a version (0.0.9's regexes let it through)."""
        with pytest.raises(ValueError, match=r"\\n'"):
            make()

    def test_version_that_is_not_a_string(self) -> None:
        """A number for a version is a TypeError saying to quote it."""
        with pytest.raises(TypeError, match=r"hm\.go: version must be a string like '1\.23\.2'"):
            hm.go(version=1.23)

    def test_package_json_that_is_not_an_object(self, tmp_path: Any, monkeypatch: Any) -> None:
        """A package.json holding a list says nothing; the lock file decides (0.0.9 crashes)."""
        (tmp_path / "package.json").write_text("[]", encoding="utf-8")
        (tmp_path / "pnpm-lock.yaml").write_text("", encoding="utf-8")
        monkeypatch.chdir(tmp_path)

        assert "pnpm run" == hm.js.project().run_prefix
