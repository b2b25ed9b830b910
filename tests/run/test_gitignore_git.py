"""
Source packing ignores exactly what git ignores, compared with the real `git ls-files`.

Whatever git accepts in a ``.gitignore`` (a lone ``!`` or ``\\``, reversed ranges, classes,
unterminated brackets, escapes, trailing spaces...) packing accepts and reads as git does.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
from typing import TYPE_CHECKING, Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harmont._orchestrator._source import pack_source
from tests.run.rig import command

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project

#: File names chosen to meet the odd patterns: brackets, escapes, stars, spaces, classes,
#: bytes that are not UTF-8, and nesting for '**' and anchored patterns.
NAMES: Final = (
    b"a",
    b"b",
    b"ab",
    b"abc",
    b"z",
    b"Z",
    b"-",
    b"]",
    b"[",
    b"!x",
    b"\\",
    b"a b",
    b"a ",
    b"a*b",
    b"?",
    b"#c",
    b"\xc3\xa9",
    b"\xff",
    b"\x0b",
    b"\t",
    b".hidden",
    b"foobar",
    b"foo/bar",
    b"foo/x/bar",
    b"foox/a/bar",
    b"x/foo",
    b"dir/sub/file",
    b"dir/a",
    b"d-e/f",
)

#: Lines git accepts that pathspec raised on or read differently.
ODD_LINES: Final = (
    "!",
    "\\",
    "[z-a]",
    "a[z-a]",
    "[!z-a]",
    "[^z-a]",
    "[",
    "a[",
    "e[]",
    "[]]",
    "[!]]",
    "[]-]",
    "[a-]",
    "[\\]]",
    "[[:alpha:]]",
    "[[:space:]]",
    "[[:bogus:]]",
    "[[:punct:]]",
    "[[:]",
    "[a-b-c]",
    "\\!x",
    "\\#c",
    "a\\ ",
    "a ",
    "a*b",
    "a\\*b",
    "\\?",
    "*",
    "**",
    "**/",
    "***",
    "/",
    "//",
    "foo**/bar",
    "foo/**/bar",
    "**/bar",
    "foo/**",
    "foo/*",
    "*/",
    "dir/",
    "/dir/a",
    "dir/*/file",
    "d[!x]e/",
    "\\\\",
    "!a",
    "a\r",
)


def _git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    return env


def _tree(root: Path, gitignore: bytes) -> None:
    for name in NAMES:
        path = root / os.fsdecode(name)  # surrogateescape: the same bytes on disk
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (root / ".gitignore").write_bytes(gitignore)


def _git_files(root: Path, home: Path) -> set[bytes]:
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", str(root)], env=_git_env(home), check=True)
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--exclude-standard"],
        cwd=root,
        env=_git_env(home),
        capture_output=True,
        check=True,
    ).stdout
    return {name for name in listed.split(b"\0") if name}


def _packed_files(root: Path) -> set[bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(pack_source(root))), mode="r:") as tar:
        return {os.fsencode(member.name) for member in tar.getmembers()}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    """An empty directory to hold the tree, and a home with no git configuration."""
    root, home = tmp_path / "repo", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    return root, home


@pytest.mark.parametrize("line", ODD_LINES)
def test_odd_line_ignores_what_git_ignores(repo: tuple[Path, Path], line: str) -> None:
    """Each odd line alone: the packed files are the files git would add."""
    root, home = repo
    _tree(root, line.encode() + b"\n")

    assert _git_files(root, home) == _packed_files(root)


_PATTERN_BYTES: Final = st.sampled_from([*"ab-z!^[]\\*?/: #", "[:alpha:]", "\\ "])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.lists(_PATTERN_BYTES, max_size=8).map("".join), max_size=3))
def test_random_lines_ignore_what_git_ignores(repo: tuple[Path, Path], lines: list[str]) -> None:
    """Random lines built from the characters that matter to patterns agree with git."""
    root, home = repo
    _tree(root, "\n".join(lines).encode())

    assert _git_files(root, home) == _packed_files(root)


def test_run_packs_a_tree_whose_gitignore_has_odd_lines(project: Project) -> None:
    """`hm run` with '!', a lone '\\' and '[z-a]' in .gitignore: the step sees git's files."""
    (project.root / ".gitignore").write_text("!\n\\\n[z-a]\n*.log\n!keep.log\n")
    for name in ("main.c", "debug.log", "keep.log"):
        (project.root / name).write_text("x")
    project.pipeline(command("list", "find . -type f | sort"))

    build = project.hm()

    assert 0 == build.returncode, build.stderr
    assert [
        "./.gitignore",
        "./keep.log",
        "./main.c",
        "./pipeline.json",
    ] == build.logs("list")
