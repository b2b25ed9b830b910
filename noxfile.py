"""Developer sessions: `nox -s tests lint typecheck bench`."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
PACKAGES = ["harmont", "harmont_sdk", "harmont_cli"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (the same command as README.md and CI)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the three packages with mypy --strict."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", *PACKAGES)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark under bench/ and print its ratios."""
    session.install("-e", ".[test]")
    for script in sorted(Path("bench").glob("[!_]*.py")):  # _name.py: a bench's helper
        session.run("python", str(script), *session.posargs)
