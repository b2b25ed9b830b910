"""Every `hm init` template renders the same bytes under harmont 0.0.9 as under ours."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harmont._dsl.starters import TEMPLATES
from tests.dsl.conftest import REPO, RUNNER, WORKSPACE


def _render(python: Path, programs: list[Path], *prefix: str) -> dict[str, str]:
    command = [python, "-I", RUNNER, *prefix, WORKSPACE, *programs]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    outcomes: dict[str, str] = json.loads(result.stdout)
    return outcomes


def test_every_template_renders_like_the_reference(tmp_path: Path, reference_python: Path) -> None:
    """Each template renders (no exception) and its envelope is byte-identical under 0.0.9."""
    programs = []
    for name, text in TEMPLATES.items():
        program = tmp_path / f"{name}.py"
        program.write_text(text, encoding="utf-8")
        programs.append(program)

    reference = _render(reference_python, programs)
    ours = _render(Path(sys.executable), programs, "--sys-path", str(REPO))

    assert (reference, []) == (
        ours,
        [name for name, outcome in reference.items() if not outcome.startswith("dump_registry")],
    )
