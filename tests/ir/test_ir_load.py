"""The loader: both wire forms and the envelope normalise into one immutable model."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import pytest

import harmont as hm
from harmont import Dependency, InvalidIR, PipelineIR, UnknownPipeline, UsageError
from harmont._ir import load_definition
from harmont._ir._select import select
from harmont.protocol import CacheSpec, CommandStep

if TYPE_CHECKING:
    from pathlib import Path


def _cmd(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "command", "key": key, "cmd": f"echo {key}", **fields}


def _flat(*steps: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"version": "0", **top, "steps": list(steps)}


def _envelope(*slugs: str) -> dict[str, Any]:
    return {
        "schema_version": "1",
        "pipelines": [
            {
                "slug": slug,
                "name": slug.upper(),
                "allow_manual": False,
                "triggers": [{"event": "push", "branches": ["main"]}],
                "definition": _flat(_cmd(f"{slug}-step")),
            }
            for slug in slugs
        ],
    }


def _dsl_pipeline() -> dict[str, Any]:
    """A pipeline written with our DSL: a chain, a fork, a wait, a cache and a runner."""
    build = hm.sh("make", label="build", cache=hm.forever(), env={"JOBS": "4"})
    test = build.sh("make test", label="test", runner="vm", runner_args={"cpus": 2})
    lint = hm.timeout("1m", build.sh("make lint", label="lint"))
    deploy = hm.sh("make deploy", label="deploy", image="alpine:3")
    return hm.pipeline([test, lint, hm.wait(), deploy], env={"CI": "1"}, timeout="1h")


class TestGraphForm:
    def test_dsl_output_loads_into_the_model(self) -> None:
        """Steps keep their fields, builds_in comes from edges and node env lands on the step."""
        ir = hm.load_ir(hm.pipeline_to_json(_dsl_pipeline(), pipeline_slug="p"))

        assert ["build", "test", "lint", "deploy"] == [step.key for step in ir.steps]
        assert [None, "build", "build", None] == [step.builds_in for step in ir.steps]
        assert {
            "DEBIAN_FRONTEND": "noninteractive",
            "TERM": "dumb",
            "CI": "1",
            "JOBS": "4",
        } == ir.step("build").env
        assert "forever" == ir.step("build").cache.policy  # type: ignore[union-attr]
        assert 64 == len(ir.step("build").cache.key or "")  # type: ignore[union-attr]
        assert ("vm", {"cpus": 2}) == (ir.step("test").runner, ir.step("test").runner_args)
        assert 60 == ir.step("lint").timeout_seconds
        assert "alpine:3" == ir.step("deploy").image
        assert 3600 == ir.timeout_seconds

    def test_depends_on_edges_become_dependencies_that_require_success(self) -> None:
        """The wait's depends_on edges are dependencies of the step after it."""
        ir = hm.load_ir(_dsl_pipeline())

        assert (
            Dependency(step="deploy", after="build"),
            Dependency(step="deploy", after="test"),
            Dependency(step="deploy", after="lint"),
        ) == ir.dependencies

    def test_after_edge_does_not_require_success(self) -> None:
        """An ``after`` edge (a wait with continue_on_failure) orders without needing success."""
        document = {
            "version": "0",
            "graph": {
                "nodes": [{"step": {"key": "a", "cmd": "x"}}, {"step": {"key": "b", "cmd": "y"}}],
                "edges": [[0, 1, "after"]],
            },
        }

        ir = hm.load_ir(document)

        assert (Dependency(step="b", after="a", requires_success=False),) == ir.dependencies

    def test_graph_without_optional_parts_loads(self) -> None:
        """node_holes, edge_property, edges and a node's env may all be left out."""
        ir = hm.load_ir({"version": "0", "graph": {"nodes": [{"step": {"key": "a", "cmd": ""}}]}})

        assert (CommandStep(key="a", cmd=""),) == ir.steps


class TestFlatForm:
    def test_fields_map_onto_command_steps(self) -> None:
        """Every field of a flat command step lands on the CommandStep, nulls as None."""
        document = _flat(
            _cmd("build", label="Build", image="rust:1", env={"A": "1"}, cache=None),
            _cmd(
                "test",
                builds_in="build",
                timeout_seconds=30,
                cache={"policy": "ttl", "key": "k", "duration_seconds": 60},
                runner="vm",
                runner_args=[1, "two", None],
                extra_field="ignored",
            ),
            env={"CI": "1"},
            default_image="ubuntu:24.04",
        )

        ir = hm.load_ir(document)

        assert (
            CommandStep(
                key="build", cmd="echo build", label="Build", image="rust:1", env={"A": "1"}
            ),
            CommandStep(
                key="test",
                cmd="echo test",
                builds_in="build",
                timeout_seconds=30,
                cache=CacheSpec(policy="ttl", key="k"),
                runner="vm",
                runner_args=[1, "two", None],
            ),
        ) == ir.steps
        assert ({"CI": "1"}, "ubuntu:24.04") == (dict(ir.env), ir.default_image)

    def test_steps_after_a_wait_depend_on_the_stage_before_it(self) -> None:
        """Each stage depends on the whole stage before it, not on earlier ones."""
        ir = hm.load_ir(
            _flat(_cmd("a"), _cmd("b"), {"type": "wait"}, _cmd("c"), {"type": "wait"}, _cmd("d"))
        )

        assert (
            Dependency(step="c", after="a"),
            Dependency(step="c", after="b"),
            Dependency(step="d", after="c"),
        ) == ir.dependencies

    def test_continue_on_failure_marks_dependencies_as_not_requiring_success(self) -> None:
        """The steps behind a continue_on_failure wait run whatever the stage before did."""
        ir = hm.load_ir(
            _flat(_cmd("a"), {"type": "wait", "continue_on_failure": True}, _cmd("b"), _cmd("c"))
        )

        assert (
            Dependency(step="b", after="a", requires_success=False),
            Dependency(step="c", after="a", requires_success=False),
        ) == ir.dependencies

    @pytest.mark.parametrize(
        ("first", "second", "requires_success"),
        [(True, True, False), (True, False, True), (False, True, True)],
    )
    def test_consecutive_waits_continue_only_if_all_do(
        self, first: bool, second: bool, requires_success: bool
    ) -> None:
        """Two waits in a row act as one, which stops on failure if either of them does."""
        ir = hm.load_ir(
            _flat(
                _cmd("a"),
                {"type": "wait", "continue_on_failure": first},
                {"type": "wait", "continue_on_failure": second},
                _cmd("b"),
            )
        )

        assert (
            Dependency(step="b", after="a", requires_success=requires_success),
        ) == ir.dependencies

    def test_a_wait_is_one_group_and_equals_its_dependencies_spelt_out(self) -> None:
        """A wait is kept whole, however many steps it orders; it compares as its pairs."""
        ir = hm.load_ir(
            _flat(_cmd("a"), _cmd("b"), {"type": "wait"}, _cmd("c"), _cmd("d"), _cmd("e"))
        )
        spelt_out = PipelineIR(steps=ir.steps, dependencies=ir.dependencies)

        assert [(("c", "d", "e"), ("a", "b"), True)] == list(ir.dependency_groups())
        assert (6, spelt_out, repr(spelt_out)) == (len(ir.dependencies), ir, repr(ir))

    def test_a_wait_keeps_the_attrs_surface_of_plain_dependencies(self) -> None:
        """attrs sees one ``dependencies`` field of pairs, whatever form they are kept in."""
        ir = hm.load_ir(_flat(_cmd("a"), _cmd("b"), {"type": "wait"}, _cmd("c")))
        pairs = [{"step": "c", "after": key, "requires_success": True} for key in ("a", "b")]

        assert ["steps", "dependencies", "env", "default_image", "timeout_seconds"] == [
            field.name for field in attrs.fields(PipelineIR)
        ]
        assert pairs == [dict(pair) for pair in attrs.asdict(ir)["dependencies"]]
        assert ir.dependencies == attrs.evolve(ir, default_image="x").dependencies

    def test_selecting_keeps_a_wait_whole_over_its_kept_steps(self) -> None:
        """`--only` reduces a wait to the kept steps on each side, still one group."""
        ir = hm.load_ir(
            _flat(_cmd("a"), _cmd("b"), _cmd("x"), {"type": "wait"}, _cmd("c"), _cmd("d"))
        )

        reduced = select(ir, ["c"]).ir

        assert [(("c",), ("a", "b", "x"), True)] == list(reduced.dependency_groups())
        assert tuple(d for d in ir.dependencies if d.step == "c") == reduced.dependencies

    def test_a_cycle_through_a_wait_names_the_steps_on_it(self) -> None:
        """A step that builds in a step behind a wait it precedes closes a cycle."""
        document = _flat(
            _cmd("x"), _cmd("a", builds_in="c"), {"type": "wait"}, _cmd("b"), _cmd("c")
        )

        with pytest.raises(InvalidIR) as info:
            hm.load_ir(document)

        assert str(info.value).startswith("step 'c': cycle 'c' -> 'a' -> 'c';")

    def test_leading_wait_adds_no_dependency(self) -> None:
        """A wait with nothing before it orders nothing."""
        assert () == hm.load_ir(_flat({"type": "wait"}, _cmd("a"))).dependencies

    def test_builds_in_may_name_a_later_step(self) -> None:
        """Document order is not required to be topological; only cycles are rejected."""
        ir = hm.load_ir(_flat(_cmd("child", builds_in="parent"), _cmd("parent")))

        assert "parent" == ir.step("child").builds_in


class TestModel:
    def test_model_is_immutable(self) -> None:
        """Neither the model's fields nor its env mapping can be changed after loading."""
        ir = hm.load_ir(_flat(_cmd("a"), env={"CI": "1"}))

        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            ir.steps = ()  # type: ignore[misc]
        with pytest.raises(TypeError):
            ir.env["CI"] = "0"  # type: ignore[index]

    def test_step_lookup_by_key(self) -> None:
        """step() finds a step by key and raises KeyError for an unknown one."""
        ir = hm.load_ir(_flat(_cmd("a")))

        assert "a" == ir.step("a").key
        with pytest.raises(KeyError):
            ir.step("b")

    def test_public_classes_show_the_public_module(self) -> None:
        """Reprs and tracebacks name harmont, not the private module."""
        assert ["harmont"] * 2 == [PipelineIR.__module__, Dependency.__module__]


class TestSources:
    def test_dict_text_bytes_and_path_load_alike(self, tmp_path: Path) -> None:
        """JSON data, JSON text, UTF-8 bytes and a file path give the same model."""
        document = _flat(_cmd("a"), _cmd("b", builds_in="a"))
        path = tmp_path / "ir.json"
        path.write_text(json.dumps(document))

        loaded = [
            hm.load_ir(source)
            for source in (document, json.dumps(document), json.dumps(document).encode(), path)
        ]

        assert [loaded[0]] * 4 == loaded

    def test_errors_from_a_file_name_the_file(self, tmp_path: Path) -> None:
        """An error in a file's document is prefixed with the file's path."""
        path = tmp_path / "ir.json"
        path.write_text('{"version": "0", "steps": [{"type": "command", "key": "a"}]}')

        with pytest.raises(InvalidIR) as info:
            hm.load_ir(path)

        assert f"{path}: step 'a': missing 'cmd': add it (a string)" == str(info.value)
        assert "step 'a'" == info.value.where

    def test_errors_from_data_are_not_prefixed(self) -> None:
        """Data has no origin, so the message starts with the place in the document."""
        with pytest.raises(InvalidIR) as info:
            hm.load_ir({"version": "0", "steps": [{"type": "command", "key": "a"}]})

        assert "step 'a': missing 'cmd': add it (a string)" == str(info.value)

    def test_missing_file_is_a_usage_error(self, tmp_path: Path) -> None:
        """A path that cannot be read is a usage error naming it, not an IR error."""
        path = tmp_path / "missing.json"

        with pytest.raises(UsageError) as info:
            hm.load_ir(path)

        assert f"cannot read IR file {str(path)!r}: No such file or directory" == str(info.value)

    def test_origin_names_stdin(self) -> None:
        """The CLI calls text read from stdin ``<stdin>`` in errors."""
        with pytest.raises(InvalidIR) as info:
            load_definition("[]", origin="<stdin>")

        assert "<stdin>: expected an object, got an array" == str(info.value)


class TestEnvelope:
    def test_only_pipeline_is_chosen_without_a_slug(self) -> None:
        """An envelope with one pipeline needs no slug."""
        assert ["only-step"] == [s.key for s in hm.load_ir(_envelope("only")).steps]

    def test_slug_picks_the_pipeline(self) -> None:
        """With several pipelines, the slug picks one."""
        assert ["b-step"] == [s.key for s in hm.load_ir(_envelope("a", "b"), slug="b").steps]

    def test_several_pipelines_without_a_slug_are_ambiguous(self) -> None:
        """Without a slug, several pipelines are listed and the user is told to pick."""
        with pytest.raises(UnknownPipeline) as info:
            hm.load_ir(_envelope("a", "b"))

        assert "the envelope declares pipelines: a, b — pass one with --slug" == str(info.value)

    def test_unknown_slug_lists_the_available_ones(self) -> None:
        """An unknown slug is reported with the available slugs as the hint."""
        with pytest.raises(UnknownPipeline) as info:
            hm.load_ir(_envelope("a", "b"), slug="c")

        assert ("pipeline 'c' not found", "available: a, b") == (
            str(info.value),
            info.value.hint,
        )

    def test_empty_envelope_says_how_to_declare_a_pipeline(self) -> None:
        """An envelope without pipelines says how to add one."""
        with pytest.raises(UnknownPipeline) as info:
            hm.load_ir(_envelope())

        assert (
            "no pipelines declared in the envelope",
            'add @hm.pipeline("slug") to a function in .harmont/pipeline.py',
        ) == (str(info.value), info.value.hint)

    def test_slug_for_a_single_document_is_a_usage_error(self) -> None:
        """A slug only makes sense for an envelope."""
        with pytest.raises(UsageError) as info:
            hm.load_ir(_flat(_cmd("a")), slug="a")

        assert (
            "a slug ('a') picks a pipeline of an envelope, but this document is a single pipeline"
            == str(info.value)
        )

    def test_load_envelope_returns_every_registration(self) -> None:
        """load_envelope keeps each registration's fields and its loaded definition."""
        registrations = hm.load_envelope(json.dumps(_envelope("a", "b")))

        assert [
            ("a", "A", False, ({"event": "push", "branches": ["main"]},), ("a-step",)),
            ("b", "B", False, ({"event": "push", "branches": ["main"]},), ("b-step",)),
        ] == [
            (
                r.slug,
                r.name,
                r.allow_manual,
                r.triggers,
                tuple(s.key for s in r.definition.steps),
            )
            for r in registrations
        ]

    def test_definition_text_round_trips_the_dsl_output(self) -> None:
        """The text kept for printing is byte-identical to what the DSL rendered."""
        rendered = hm.pipeline_to_json(_dsl_pipeline(), pipeline_slug="p", now=0)
        envelope = {
            "schema_version": "1",
            "pipelines": [{"slug": "p", "definition": json.loads(rendered)}],
        }

        assert rendered == load_definition(json.dumps(envelope)).text
        assert rendered == load_definition(rendered).text
