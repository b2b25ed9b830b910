"""The README's commands and examples work as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run.rig import hm_environment

README = (Path(__file__).parents[1] / "README.md").read_text()


def _block(section: str, language: str) -> str:
    """The first ``language`` code block of the README section headed ``section``."""
    match = re.search(rf"^## {section}\n.*?```{language}\n(.*?)```", README, re.S | re.M)
    assert match, f"README has no {language} block under '## {section}'"
    return match.group(1)


def _hm(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("marker", ["main-command", "test-command"])
def test_set_up_commands_are_one_line_each(marker: str) -> None:
    """Each set-up command is exactly one shell line between its markers."""
    block = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)```\n<!-- /{marker} -->", README, re.S)

    assert block is not None
    assert 1 == len(block.group(1).strip().splitlines())


def test_pipeline_example_runs_green_on_the_local_runner(tmp_path: Path) -> None:
    """The pipeline of '## Pipelines' runs to a green build, every step reported."""
    (tmp_path / ".harmont").mkdir()
    (tmp_path / ".harmont" / "pipeline.py").write_text(_block("Pipelines", "python"))
    (tmp_path / "hello.py").write_text('"""Says hello."""\n')

    done = _hm("run", "--runner", "local", "--logs", cwd=tmp_path, env=hm_environment(tmp_path))

    assert 0 == done.returncode, done.stderr
    for key in ("prepare", "test", "package", "docs", "report"):
        assert f"✓ {key}" in done.stderr
    assert "[report] all done" in done.stderr


def test_python_plugin_example_adds_its_verb(tmp_path: Path) -> None:
    """The plugin of '## Plugins', installed under its entry point, answers `hm greet world`."""
    package = tmp_path / "site" / "hm_greet"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(_block("Plugins", "python"))
    entry_point = re.search(r'^(hm-greet) = "(.*)"$', _block("Plugins", "toml"), re.M)
    assert entry_point
    dist_info = tmp_path / "site" / "hm_greet-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: hm-greet\nVersion: 1.0.0\n")
    (dist_info / "entry_points.txt").write_text(
        f"[harmont.plugins]\n{entry_point[1]} = {entry_point[2]}\n"
    )
    env = hm_environment(tmp_path) | {"PYTHONPATH": str(tmp_path / "site")}

    done = _hm("greet", "world", cwd=tmp_path, env=env)

    assert (0, "hello world\n") == (done.returncode, done.stdout), done.stderr


def test_toolchain_examples_render_one_pipeline_per_helper(tmp_path: Path) -> None:
    """Each pipeline of '## Toolchains' renders through `hm render SLUG`, every helper used."""
    (tmp_path / ".harmont").mkdir()
    (tmp_path / ".harmont" / "pipeline.py").write_text(_block("Toolchains", "python"))
    slugs = re.findall(r'^@hm\.pipeline\("([\w-]+)"\)', _block("Toolchains", "python"), re.M)

    rendered = [_hm("render", slug, cwd=tmp_path, env=hm_environment(tmp_path)) for slug in slugs]

    labels = {tag for done in rendered for tag in re.findall(r'"label": ":(\w+): ', done.stdout)}
    assert ([0] * 8, {"apt", "rust", "node", "cmake", "ex", "go", "python", "zig"}) == (
        [done.returncode for done in rendered],
        labels,
    )


def test_caching_example_renders_its_policies(tmp_path: Path) -> None:
    """The pipeline of '## Caching' renders with a ttl, an on_change and a forever policy."""
    (tmp_path / ".harmont").mkdir()
    (tmp_path / ".harmont" / "pipeline.py").write_text(_block("Caching", "python"))

    done = _hm("render", cwd=tmp_path, env=hm_environment(tmp_path))

    policies = re.findall(r'"policy": "(\w+)"', done.stdout)
    assert (0, ["ttl", "on_change", "forever"]) == (done.returncode, policies)
