"""
The native fixtures: the cdylibs of tests/native/fixtures, built once per test session.

A pytest plugin of the root conftest, so that every test asking for ``native`` (those of
tests/native and test_bench's) shares one session-scoped fixture, and bench/plugin_calls.py
can import :func:`build` without a conftest being loaded twice under two module names.

Cargo builds the Rust workspace into ``<repo>/target/native`` and cc builds the C
fixtures and the C example next to it. A file lock makes xdist workers take turns: the
first builds, the others find cargo's and make's work already done.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

import attrs
import pytest

from harmont._plugins._discovery import NATIVE_SUFFIX
from tests.components import unavailable

__all__ = ["TARGET", "Built", "build", "native"]

REPO: Final = Path(__file__).resolve().parents[1]
FIXTURES: Final = REPO / "tests" / "native" / "fixtures"
TARGET: Final = REPO / "target" / "native"
INCLUDE: Final = REPO / "harmont_sdk" / "native" / "include"

#: C sources built with cc: fixture name -> source file.
C_SOURCES: Final = {
    "bad_api_version": FIXTURES / "c" / "bad_api_version.c",
    "bad_manifest_status": FIXTURES / "c" / "bad_manifest_status.c",
    "garbage_payloads": FIXTURES / "c" / "garbage_payloads.c",
    "huge_length": FIXTURES / "c" / "huge_length.c",
    "hm_c_hello": REPO / "examples" / "plugins" / "native-c" / "hello.c",
}


@attrs.frozen
class Built:
    """Where the built fixtures are."""

    root: Path

    def path(self, crate: str) -> Path:
        """The library of a fixture crate (``noop-executor``) or C fixture (``bad_api_version``)."""
        if crate in C_SOURCES:
            return self.root / "c" / f"lib{crate}{NATIVE_SUFFIX}"
        return self.root / "debug" / f"lib{crate.replace('-', '_')}{NATIVE_SUFFIX}"

    def install(self, crate: str, directory: Path, name: str | None = None) -> Path:
        """Copy a fixture into a plugin directory, as `hm plugin install` names it."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / f"{name or crate}{NATIVE_SUFFIX}"
        shutil.copyfile(self.path(crate), target)
        return target


def _build() -> None:
    env = {**os.environ, "CARGO_TARGET_DIR": str(TARGET)}
    subprocess.run(["cargo", "build", "--quiet", "-j", "2"], cwd=FIXTURES, env=env, check=True)
    (TARGET / "c").mkdir(parents=True, exist_ok=True)
    for name, source in C_SOURCES.items():
        out = TARGET / "c" / f"lib{name}{NATIVE_SUFFIX}"
        if out.exists() and out.stat().st_mtime >= source.stat().st_mtime:
            continue
        compiler = os.environ.get("CC", "cc")
        subprocess.run(
            [compiler, "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
             "-fvisibility=hidden", f"-I{INCLUDE}", "-o", str(out), str(source)],
            check=True,
        )  # fmt: skip


@pytest.fixture(scope="session")
def native() -> Built:
    """Build every native fixture (once per session, whichever xdist worker is first)."""
    missing = [tool for tool in ("cargo", os.environ.get("CC", "cc")) if shutil.which(tool) is None]
    if missing:
        unavailable(
            f"building native fixtures needs {' and '.join(missing)}, not installed here",
            tests="native plugin",
        )
    return build()


def build() -> Built:
    """
    Build every native fixture into :data:`TARGET`, under a file lock: xdist workers and
    bench/plugin_calls.py take turns, and whoever comes after the first finds the work done.
    """
    TARGET.mkdir(parents=True, exist_ok=True)
    with (TARGET / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _build()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return Built(TARGET)
