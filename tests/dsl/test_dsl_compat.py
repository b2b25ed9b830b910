"""Every program under programs/ renders the same bytes, or raises the same type, as 0.0.9."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"


def _expected_kind(program: Path) -> str:
    """``raised: <Type>`` for a program whose docstring starts "Raises <Type>:", else rendered."""
    docstring = ast.get_docstring(ast.parse(program.read_text(encoding="utf-8"))) or ""
    match = re.match(r"Raises (\w+):", docstring)
    return f"raised: {match[1]}" if match else "rendered"


def _kind(outcome: str) -> str:
    return outcome if outcome.startswith(("raised:", "crashed:")) else "rendered"


def test_program_renders_like_the_reference(
    program: Path, reference_outcomes: dict[str, str], our_outcomes: dict[str, str]
) -> None:
    """The program renders the same bytes, or raises the same type, under 0.0.9 and ours."""
    assert reference_outcomes[program.stem] == our_outcomes[program.stem]


def test_program_does_what_its_docstring_says(
    program: Path, reference_outcomes: dict[str, str]
) -> None:
    """Under the reference, a misuse program raises its documented type and others render."""
    assert _expected_kind(program) == _kind(reference_outcomes[program.stem])


def test_suite_covers_enough_programs(reference_outcomes: dict[str, str]) -> None:
    """The suite rendered at least 25 programs, misuse ones included."""
    kinds = [_expected_kind(PROGRAMS / f"{name}.py") for name in reference_outcomes]

    assert (True, True, True) == (
        len(kinds) >= 25,
        "rendered" in kinds,
        any(kind.startswith("raised:") for kind in kinds),
    )


#: The toolchain helpers and the program-name prefix of each one's programs.
HELPERS = ("apt_base", "rust", "cmake", "js", "elixir", "go", "python", "uv", "zig")


def _helper_of(name: str) -> str | None:
    bare = name.removeprefix("misuse_")
    return next((helper for helper in HELPERS if bare.startswith(f"{helper}_")), None)


def test_suite_covers_every_toolchain_helper(reference_outcomes: dict[str, str]) -> None:
    """At least 80 programs exercise the toolchain helpers, each helper rendering and refusing."""
    by_helper: dict[str, list[str]] = {helper: [] for helper in HELPERS}
    for name, outcome in reference_outcomes.items():
        helper = _helper_of(name)
        if helper is not None:
            by_helper[helper].append(_kind(outcome))

    assert (True, {}) == (
        sum(len(kinds) for kinds in by_helper.values()) >= 80,
        {
            helper: kinds
            for helper, kinds in by_helper.items()
            if "rendered" not in kinds or not any(kind.startswith("raised:") for kind in kinds)
        },
    )
