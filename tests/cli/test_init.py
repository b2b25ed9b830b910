"""`hm init`: the template each project gets, what it says, and that `hm render` works next."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harmont._dsl.starters import TEMPLATES
from tests.run.rig import TIMEOUT_SECONDS, hm_environment

FIXTURES = Path(__file__).parents[1] / "dsl" / "workspace" / "fixtures"


def _hm(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        cwd=cwd,
        env=hm_environment(cwd),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _project(tmp_path: Path, fixture: str | None) -> Path:
    root = tmp_path / "project"
    if fixture is None:
        root.mkdir()
    else:
        shutil.copytree(FIXTURES / fixture, root)
    return root


@pytest.mark.parametrize(
    ("fixture", "template", "reason"),
    [
        ("rust-workspace", "rust", "Cargo.toml is there"),
        ("js-pnpm", "js", "package.json is there"),
        ("js-next", "nextjs", "package.json depends on next"),
        ("cmake", "cmake", "CMakeLists.txt is there"),
        ("elixir", "elixir", "mix.exs is there"),
        ("zig", "zig", "build.zig is there"),
        ("go", "go", "go.mod is there"),
        ("python", "python", "pyproject.toml is there"),
        (None, "shell", "no Cargo.toml"),
    ],
)
def test_template_is_chosen_from_the_project_files(
    tmp_path: Path, fixture: str | None, template: str, reason: str
) -> None:
    """hm init picks the template from DIR's files and says which, why, and what to run next."""
    root = _project(tmp_path, fixture)

    done = _hm(tmp_path, "init", "-d", "project")

    written = (root / ".harmont" / "pipeline.py").read_text(encoding="utf-8")
    assert (0, TEMPLATES[template], True, True, True) == (
        done.returncode,
        written,
        f"from the {template} template ({reason}" in done.stdout,
        "next: hm run -d project" in done.stdout,
        "hm render -d project" in done.stdout,
    )


def test_setup_py_alone_picks_python(tmp_path: Path) -> None:
    """A setup.py without pyproject.toml is a Python project too."""
    root = _project(tmp_path, None)
    (root / "setup.py").write_text("from setuptools import setup\nsetup()\n", encoding="utf-8")

    done = _hm(root, "init")

    assert (0, True, True) == (
        done.returncode,
        "from the python template (setup.py is there)" in done.stdout,
        "next: hm run   (hm render prints its IR)" in done.stdout,
    )


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_render_works_right_after_init(tmp_path: Path, template: str) -> None:
    """`hm render -d DIR` renders the starter that `hm init -t TEMPLATE -d DIR` wrote."""
    _project(tmp_path, None)

    init = _hm(tmp_path, "init", "-t", template, "-d", "project")
    render = _hm(tmp_path, "render", "-d", "project")

    nodes = json.loads(render.stdout)["graph"]["nodes"] if render.returncode == 0 else []
    assert (0, 0, "", True) == (
        init.returncode,
        render.returncode,
        render.stderr,
        len(nodes) >= 1,
    )


def test_an_existing_pipeline_is_kept_without_force(tmp_path: Path) -> None:
    """A second hm init exits 2 with one line and leaves the file alone; --force rewrites it."""
    root = _project(tmp_path, "go")
    pipeline = root / ".harmont" / "pipeline.py"
    pipeline.parent.mkdir()
    pipeline.write_text("# mine\n", encoding="utf-8")

    refused = _hm(root, "init")
    kept = pipeline.read_text(encoding="utf-8")
    forced = _hm(root, "init", "--force")

    assert (2, 1, True, "# mine\n", 0, TEMPLATES["go"]) == (
        refused.returncode,
        len(refused.stderr.splitlines()),
        "exists already: pass --force to overwrite it" in refused.stderr,
        kept,
        forced.returncode,
        pipeline.read_text(encoding="utf-8"),
    )


def test_template_flag_overrides_detection(tmp_path: Path) -> None:
    """-t wins over what the files say."""
    root = _project(tmp_path, "rust-crate")

    done = _hm(root, "init", "-t", "shell")

    assert (0, TEMPLATES["shell"], True) == (
        done.returncode,
        (root / ".harmont" / "pipeline.py").read_text(encoding="utf-8"),
        "from the shell template (-t asked for it)" in done.stdout,
    )


def test_unknown_template_is_a_usage_error(tmp_path: Path) -> None:
    """An unknown -t exits 2 naming the templates there are, and writes nothing."""
    root = _project(tmp_path, None)

    done = _hm(root, "init", "-t", "cobol")

    assert (2, True, False) == (
        done.returncode,
        "choose one of rust, nextjs, js, cmake, elixir, zig, go, python, shell" in done.stderr,
        (root / ".harmont").exists(),
    )
