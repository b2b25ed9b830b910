"""
Documents built to break the loader, refused up front through the real `hm run`.

Each is refused with exit 2 and one ``error:`` line, before any runner is involved, so the
words are the same whichever runner would have run the step.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

import harmont
from tests.run.rig import command

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project


def _flat(*steps: dict[str, Any], **document: Any) -> str:
    return json.dumps({"version": "0", "steps": list(steps), **document})


#: name -> (document text, what the one error line says)
CASES: dict[str, tuple[str, str]] = {
    "nested-100000-deep": (
        "[" * 100_000 + "]" * 100_000,
        "bad JSON: arrays and objects nest deeper than this hm can read",
    ),
    "nested-200-deep-runner-args": (
        _flat(command("a", "true", runner_args=json.loads("[" * 200 + "]" * 200))),
        "steps[0].runner_args[0][0][0]: arrays and objects nest more than 128 levels deep",
    ),
    "5000-digit-timeout": (
        '{"version": "0", "timeout_seconds": ' + "9" * 5000 + ', "steps": []}',
        "bad JSON: a number has more than 4300 digits",
    ),
    "lone-surrogate-key": (
        _flat(command("a\ud800", "true")),
        'steps[0].key: "a\\ud800" is not valid Unicode (a lone surrogate \\ud800',
    ),
    "nul-in-key": (
        _flat(command("a\x00b", "true")),
        "steps[0]: 'key' \"a\\u0000b\" contains the control character U+0000",
    ),
    "newline-in-key": (
        _flat(command("a\nb", "true")),
        "steps[0]: 'key' \"a\\nb\" contains the control character U+000A",
    ),
    "escape-in-key": (
        _flat(command("a\x1b[2Jb", "true")),
        "contains the control character U+001B",
    ),
    "c1-control-in-key": (
        _flat(command("a\x85b", "true")),
        "contains the control character U+0085",
    ),
    "empty-env-name": (
        _flat(command("a", "true", env={"": "1"})),
        "step 'a': env: the variable name \"\" is empty",
    ),
    "equals-in-env-name": (
        _flat(command("a", "true"), env={"A=B": "1"}),
        "env: the variable name \"A=B\" contains '='",
    ),
    "nul-in-env-name": (
        _flat(command("a", "true", env={"A\x00B": "1"})),
        'the variable name "A\\u0000B" contains NUL',
    ),
    "nul-in-env-value": (
        _flat(command("a", "true", env={"A": "x\x00y"})),
        'env["A"] contains a NUL character',
    ),
    "nul-in-command": (
        _flat(command("a", "echo \x00")),
        "step 'a': 'cmd' contains a NUL character at character 5",
    ),
}


def _graph_with_node_env(env: dict[str, str]) -> str:
    node = {"step": {"key": "a", "cmd": "true"}, "env": env}
    graph = {"nodes": [node], "node_holes": [], "edge_property": "directed", "edges": []}
    return json.dumps({"version": "0", "graph": graph})


CASES["equals-in-graph-node-env"] = (
    _graph_with_node_env({"A=B": "1"}),
    "node 0 (step 'a'): env: the variable name \"A=B\" contains '='",
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_in_one_line_with_exit_2(project: Project, case: str) -> None:
    """The document is refused before anything runs: exit 2, one error line, no event."""
    text, expected = CASES[case]
    (project.root / "pipeline.json").write_text(text, encoding="utf-8", errors="surrogatepass")

    build = project.hm()

    lines = build.stderr.splitlines()
    assert (2, 1, "") == (build.returncode, len(lines), build.stdout), build.stderr
    assert lines[0].startswith("error: pipeline.json: "), lines
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"": "1"}, 'env: the variable name "" is empty'),
        ({"A=B": "1"}, "env: the variable name \"A=B\" contains '='"),
        ({"A": "x\x00"}, 'env["A"] contains a NUL character'),
    ],
)
def test_env_overrides_no_process_can_carry_are_refused(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    """harmont.run(env=...) refuses them as the loader does, before anything runs."""
    document = json.loads(_flat(command("a", "true")))

    with pytest.raises(harmont.UsageError) as refused:
        harmont.run(document, directory=tmp_path, runner="local", env=env)

    assert refused.value.message.startswith(expected)
