"""The public surface: the names 0.0.9 programs use, the thin submodules, lazy loading."""

from __future__ import annotations

import subprocess
import sys

import pytest

import harmont as hm
import harmont.cache
import harmont.triggers
import harmont.types

#: Every public name of harmont 0.0.9, its ``__all__``.
REFERENCE_NAMES = [
    "BaseImage",
    "CMakeProject",
    "CMakeToolchain",
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "JsProject",
    "Pipeline",
    "RustProject",
    "Step",
    "Target",
    "apt_base",
    "cmake",
    "compose",
    "dump_registry_json",
    "elixir",
    "forever",
    "go",
    "group",
    "js",
    "on_change",
    "pipeline",
    "pipeline_to_json",
    "pr",
    "pull_request",
    "push",
    "py",
    "python",
    "rust",
    "scratch",
    "sh",
    "target",
    "timeout",
    "ts",
    "ttl",
    "wait",
    "zig",
]


class TestNames:
    @pytest.mark.parametrize("name", REFERENCE_NAMES)
    def test_reference_name_is_public(self, name: str) -> None:
        """Each name a 0.0.9 program reaches through `hm.` is exported and resolves."""
        assert (True, True) == (name in hm.__all__, getattr(hm, name) is not None)

    def test_submodules_export_what_0_0_9_did(self) -> None:
        """harmont.cache, harmont.triggers and harmont.types hold 0.0.9's public names."""
        assert (
            [
                "CacheCompose",
                "CacheForever",
                "CacheNone",
                "CacheOnChange",
                "CachePolicy",
                "CacheTTL",
            ],
            ["PullRequestTrigger", "PushTrigger", "Trigger", "pull_request", "push"],
            ["EnvVars", "Pipeline"],
        ) == (
            sorted(harmont.cache.__all__),
            sorted(harmont.triggers.__all__),
            sorted(harmont.types.__all__),
        )

    def test_pr_is_pull_request(self) -> None:
        """hm.pr is another name for hm.pull_request."""
        assert hm.pull_request is hm.pr

    def test_classes_show_their_public_home(self) -> None:
        """Public classes report the module users import them from."""
        assert ("harmont", "harmont", "harmont.triggers") == (
            hm.Step.__module__,
            hm.CacheTTL.__module__,
            harmont.triggers.PushTrigger.__module__,
        )


class TestLaziness:
    def test_import_harmont_does_not_load_the_dsl(self) -> None:
        """`import harmont` leaves the DSL and attrs unloaded until a DSL name is used."""
        code = (
            "import sys, harmont; before = sorted(m for m in ('attrs', 'harmont._dsl') "
            "if m in sys.modules); harmont.sh; print(before, 'harmont._dsl' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout

        assert "[] True\n" == out


class TestImmutability:
    def test_sh_leaves_the_receiver_unchanged(self) -> None:
        """Chaining returns a new step; the step chained from keeps its fields."""
        root = hm.sh("make", label="root")
        child = root.sh("make check")

        assert ("make", "root", root) == (root.cmd, root.label, child.parent)

    def test_timeout_returns_a_new_step(self) -> None:
        """hm.timeout copies the step with the limit, replacing an earlier one."""
        step = hm.sh("make")
        limited = hm.timeout("5m", hm.timeout("1h", step))

        assert (None, 300, step.parent) == (
            step.timeout_seconds,
            limited.timeout_seconds,
            limited.parent,
        )
