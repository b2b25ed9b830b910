"""Unknown IR fields: one warning each naming the closest known one; `--strict` rejects."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.run.rig import Project

_TYPOS = {
    "version": "0",
    "defualt_image": "alpine",
    "steps": [
        {"type": "command", "key": "a", "cmd": "true", "imgae": "alpine", "zzz": 1},
        {"type": "wait", "continue_on_falure": True},
        {"type": "command", "key": "b", "cmd": "true", "cache": {"policy": "none", "kye": "k"}},
    ],
}


def _hm(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_each_unknown_field_is_one_warning_naming_the_closest(project: Project) -> None:
    """The document still renders; stderr has one warning per unknown field."""
    (project.root / "typos.json").write_text(json.dumps(_TYPOS))

    done = _hm(project, "render", "typos.json")

    assert 0 == done.returncode
    assert [
        "warning: the document: unknown field 'defualt_image' (did you mean 'default_image'?)",
        "warning: steps[0]: unknown field 'imgae' (did you mean 'image'?)",
        "warning: steps[0]: unknown field 'zzz'",
        "warning: steps[1]: unknown field 'continue_on_falure' (did you mean "
        "'continue_on_failure'?)",
        "warning: step 'b' cache: unknown field 'kye' (did you mean 'key'?)",
    ] == done.stderr.splitlines()


def test_strict_rejects_the_first_unknown_field(project: Project) -> None:
    """`hm render --strict` is exit 2 on an unknown field, naming it and its fix."""
    (project.root / "typos.json").write_text(json.dumps(_TYPOS))

    done = _hm(project, "render", "typos.json", "--strict")

    assert (2, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith(
        "error: typos.json: unknown field 'defualt_image' (did you mean 'default_image'?); "
        "remove it"
    )


def test_what_the_dsl_writes_has_no_unknown_field(project: Project) -> None:
    """A pipeline rendered by the DSL, with every kind of step option, passes --strict."""
    (project.root / ".harmont").mkdir()
    (project.root / ".harmont" / "p.py").write_text(
        "import harmont as hm\n\n\n"
        '@hm.pipeline("p")\n'
        "def p():\n"
        '    a = hm.sh("true", label="a", image="alpine", env={"X": "1"},\n'
        '              cache=hm.forever(env_keys=["X"]), runner="local", runner_args={"k": 1})\n'
        '    return [a.sh("true"), a.sh("false"), hm.wait(continue_on_failure=True),\n'
        '            hm.sh("true", cwd="sub")]\n'
    )

    done = _hm(project, "render", "p", "--strict")

    assert (0, "") == (done.returncode, done.stderr)
