"""
Starter pipeline files, the library half of ``hm init``.

A starter is a ``.harmont/pipeline.py`` that runs the usual checks of the project's
language through its toolchain helper. The template is chosen from the files the project
holds, so a first ``hm init && hm run`` does something useful without editing; every
template renders the same IR under harmont 0.0.9 as under this package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import attrs

from harmont._errors import UsageError

__all__ = ["TEMPLATES", "Choice", "Starter", "choose_template", "write_starter"]

_HEADER = '''"""{summary}"""

import harmont as hm


@hm.pipeline("ci", triggers=[hm.push(branch="main"), hm.pull_request()])
def ci() -> hm.Pipeline:
'''


def _template(summary: str, body: str) -> str:
    return _HEADER.format(summary=summary) + "".join(f"    {line}\n" for line in body.splitlines())


#: Every template by name, in the order detection tries them (``shell`` is the fallback).
TEMPLATES: Final[dict[str, str]] = {
    "rust": _template(
        "CI for this Rust workspace: tests, clippy and rustfmt, sharing one warm build.",
        "return hm.rust.project().ci()",
    ),
    "nextjs": _template(
        "CI for this Next.js app: lint and build, after a locked dependency install.",
        'app = hm.js.project()\nreturn (app.run("lint"), app.run("build"))',
    ),
    "js": _template(
        "CI for this JavaScript project: the package.json test script, after a locked install.",
        'project = hm.js.project()\nreturn project.run("test")',
    ),
    "cmake": _template(
        "CI for this CMake project: ctest and clang-format, after one cached build.",
        'project = hm.cmake(path=".")\nreturn (project.test(), project.fmt())',
    ),
    "elixir": _template(
        "CI for this Elixir project: compile with warnings as errors, test, check formatting.",
        "project = hm.elixir()\nreturn (project.compile(), project.test(), project.format())",
    ),
    "zig": _template(
        "CI for this Zig project: build, test and check formatting.",
        'project = hm.zig(path=".")\nreturn (project.build(), project.test(), project.fmt())',
    ),
    "go": _template(
        "CI for this Go module: build, test, vet and check gofmt.",
        "go = hm.go()\nreturn (go.build(), go.test(), go.vet(), go.fmt())",
    ),
    "python": _template(
        "CI for this Python project, managed by uv: pytest and ruff.",
        "project = hm.py.uv()\nreturn (project.test(), project.lint())",
    ),
    "shell": _template(
        "A first pipeline: replace the command with your build and tests.",
        'return hm.sh("echo hello from harmont", label="hello")',
    ),
}

#: The file that picks each template, tried in this order (``nextjs`` is a kind of ``js``).
_MARKERS: Final = (
    ("Cargo.toml", "rust"),
    ("package.json", "js"),
    ("CMakeLists.txt", "cmake"),
    ("mix.exs", "elixir"),
    ("build.zig", "zig"),
    ("go.mod", "go"),
    ("pyproject.toml", "python"),
    ("setup.py", "python"),
)


@attrs.frozen
class Choice:
    """A template and why it was chosen, in words for the user."""

    template: str
    reason: str


@attrs.frozen
class Starter:
    """A written starter: where, from which template, and why that one."""

    path: Path
    choice: Choice


def _uses_next(manifest: Path) -> bool:
    """Whether ``package.json`` depends on ``next`` (an unreadable one does not)."""
    try:
        loaded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(loaded, dict):
        return False
    return any(
        isinstance(section, dict) and "next" in section
        for section in (loaded.get("dependencies"), loaded.get("devDependencies"))
    )


def choose_template(directory: Path) -> Choice:
    """The template for the project in ``directory``, from the first marker file found."""
    for marker, template in _MARKERS:
        if (directory / marker).is_file():
            if template == "js" and _uses_next(directory / marker):
                return Choice("nextjs", f"{marker} depends on next")
            return Choice(template, f"{marker} is there")
    return Choice(
        "shell",
        "no Cargo.toml, package.json, CMakeLists.txt, mix.exs, build.zig, "
        "go.mod, pyproject.toml or setup.py is there",
    )


def write_starter(directory: Path, *, template: str | None = None, force: bool = False) -> Starter:
    """
    Write ``.harmont/pipeline.py`` in ``directory`` from ``template``, or the one it calls for.

    :raises UsageError: for a missing directory, an unknown template, or a pipeline file
        that exists already (unless ``force``).
    """
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory: pass the project root with -d")
    if template is not None and template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}: choose one of {', '.join(TEMPLATES)}")
    choice = choose_template(directory) if template is None else Choice(template, "-t asked for it")
    path = directory / ".harmont" / "pipeline.py"
    if path.exists() and not force:
        raise UsageError(f"{path} exists already: pass --force to overwrite it")
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEMPLATES[choice.template], encoding="utf-8")
    return Starter(path=path, choice=choice)
