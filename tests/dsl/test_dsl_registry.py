"""The pipeline registry: isolation, target memoisation per render, dependency resolution."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest

import harmont as hm
from harmont._dsl import PipelineRegistry, current_registry, isolated_registry


def _envelope(registry: PipelineRegistry) -> dict[str, Any]:
    rendered: dict[str, Any] = json.loads(hm.dump_registry_json(registry=registry, now=0, env={}))
    return rendered


def _commands(pipeline: dict[str, Any]) -> list[str]:
    return [node["step"]["cmd"] for node in pipeline["definition"]["graph"]["nodes"]]


class TestIsolation:
    def test_isolated_registry_starts_empty_and_is_current(self) -> None:
        """Inside the block a fresh registry is current; outside, the previous one again."""
        outer = current_registry()
        with isolated_registry() as registry:
            inside = current_registry()

            @hm.pipeline("ci")
            def ci() -> hm.Step:
                return hm.sh("make")

        assert (registry, ("ci",), outer) == (
            inside,
            tuple(each.slug for each in registry.pipelines),
            current_registry(),
        )

    def test_declarations_do_not_leak_between_registries(self) -> None:
        """The same slug may be declared in two isolated registries."""
        for _ in range(2):
            with isolated_registry() as registry:

                @hm.pipeline("ci")
                def ci() -> hm.Step:
                    return hm.sh("make")

        assert ["ci"] == [each["slug"] for each in _envelope(registry)["pipelines"]]

    def test_dump_defaults_to_the_current_registry(self) -> None:
        """Without registry=, dump_registry_json renders the current registry."""
        with isolated_registry():

            @hm.pipeline("only")
            def only() -> hm.Step:
                return hm.sh("make")

            rendered = json.loads(hm.dump_registry_json(now=0, env={}))

        assert ["only"] == [each["slug"] for each in rendered["pipelines"]]


class TestTargets:
    def test_target_runs_once_per_render(self) -> None:
        """Two pipelines share one call of a target per render; the next render calls it again."""
        calls: list[int] = []
        with isolated_registry() as registry:

            @hm.target()
            def base() -> hm.Step:
                calls.append(1)
                return hm.sh("apt-get update")

            @hm.pipeline("one")
            def one(base: hm.Target[hm.Step]) -> hm.Step:
                return base.sh("make one")

            @hm.pipeline("two")
            def two(base: hm.Target[hm.Step]) -> hm.Step:
                return base.sh("make two")

        _envelope(registry)
        _envelope(registry)

        assert 2 == len(calls)

    def test_base_image_parameter_is_an_imaged_root(self) -> None:
        """A BaseImage parameter receives an empty root whose first command runs in that image."""
        with isolated_registry() as registry:

            @hm.pipeline("ci")
            def ci(root: Annotated[hm.Step, hm.BaseImage("alpine:3.20")]) -> hm.Step:
                return root.sh("make").sh("make check")

        nodes = _envelope(registry)["pipelines"][0]["definition"]["graph"]["nodes"]

        assert ["alpine:3.20", None] == [node["step"].get("image") for node in nodes]

    def test_cycle_is_reported_with_its_path(self) -> None:
        """Targets that depend on each other raise RuntimeError naming the cycle."""
        with isolated_registry() as registry:

            @hm.target()
            def left(right: hm.Target[hm.Step]) -> hm.Step:
                return right

            @hm.target()
            def right(left: hm.Target[hm.Step]) -> hm.Step:
                return left

            @hm.pipeline("ci")
            def ci(left: hm.Target[hm.Step]) -> hm.Step:
                return left

        with pytest.raises(RuntimeError, match="ci -> left -> right -> left"):
            _envelope(registry)

    def test_same_function_name_is_not_a_cycle(self) -> None:
        """A pipeline function named like the target function it uses renders (0.0.9 says cycle)."""

        def declare_target() -> None:
            @hm.target(name="base")
            def build() -> hm.Step:
                return hm.sh("apt-get update")

        with isolated_registry() as registry:
            declare_target()

            @hm.pipeline("ci")
            def build(base: hm.Target[hm.Step]) -> hm.Step:
                return base.sh("make")

        assert ["apt-get update", "make"] == _commands(_envelope(registry)["pipelines"][0])

    def test_pipeline_annotation_does_not_hide_markers(self) -> None:
        """A function annotated -> hm.Pipeline keeps its Target markers (0.0.9 loses them)."""
        with isolated_registry() as registry:

            @hm.target()
            def base() -> hm.Step:
                return hm.sh("apt-get update")

            @hm.pipeline("ci")
            def ci(base: hm.Target[hm.Step]) -> hm.Pipeline:
                return (base.sh("make"),)

        assert ["apt-get update", "make"] == _commands(_envelope(registry)["pipelines"][0])
