"""
Cross-implementation check: the Rust ``borsh`` crate and our codec agree byte for byte.

``rust_golden/`` derives every wire type with ``borsh`` (through the SDK crate's protocol
module). It writes the golden values of ``golden.py``, which we decode and re-encode; and it
decodes, strictly, what we wrote, re-encoding it for us to compare, or reporting why not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from harmont import protocol as p
from tests.components import unavailable

from .golden import GOLDEN
from .test_malformed import CASES as MALFORMED

pytestmark = [pytest.mark.cargo, pytest.mark.slow]

_HERE: Final = Path(__file__).parent
_REPO: Final = _HERE.parents[1]


@pytest.fixture(scope="session")
def rust_golden_binary() -> Path:
    """Build the cross-check program once per test session."""
    cargo = shutil.which("cargo")
    if cargo is None:
        unavailable("cargo is not installed on this machine", tests="protocol")
    target = _REPO / "target"
    subprocess.run(
        [
            cargo,
            "build",
            "-j",
            "2",
            "--quiet",
            "--manifest-path",
            str(_HERE / "rust_golden" / "Cargo.toml"),
        ],
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(target)},
    )
    return target / "debug" / "rust-golden"


@pytest.fixture(scope="module")
def exchange(rust_golden_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write our encodings, run the Rust program once, and return the exchange directory."""
    root = tmp_path_factory.mktemp("rust_golden")
    python = root / "python"
    python.mkdir()
    for name, (tp, value) in GOLDEN.items():
        (python / f"{_type_name(tp)}.{name}.bin").write_bytes(p.to_borsh(value))
    for case, tp, data, _, _ in MALFORMED:
        (python / f"{_type_name(tp)}.malformed-{case.replace(' ', '-')}.bin").write_bytes(data)
    subprocess.run([str(rust_golden_binary), str(root)], check=True)
    return root


def _type_name(tp: Any) -> str:
    return next(name for name in p.__all__ if getattr(p, name) is tp)


@pytest.mark.parametrize("name", sorted(GOLDEN))
class TestBothDirections:
    """Each golden value, both ways."""

    def test_rust_bytes_decode_and_reencode_identically(self, exchange: Path, name: str) -> None:
        """What Rust writes, we decode to the golden value and re-encode to the same bytes."""
        tp, value = GOLDEN[name]
        rust_bytes = (exchange / "rust" / f"{name}.bin").read_bytes()

        assert value == p.from_borsh(tp, rust_bytes)
        assert rust_bytes == p.to_borsh(p.from_borsh(tp, rust_bytes))

    def test_python_bytes_decode_strictly_in_rust(self, exchange: Path, name: str) -> None:
        """What we write, Rust decodes strictly and re-encodes to the same bytes."""
        tp, value = GOLDEN[name]
        file = f"{_type_name(tp)}.{name}.bin"

        assert p.to_borsh(value) == (exchange / "roundtrip" / file).read_bytes()


#: Inputs only we refuse. Python's datetime spans years 1-9999; the SDK's Timestamp is
#: any i64 of milliseconds, so a Rust plugin can write an instant the host cannot hold.
_ONLY_PYTHON_REJECTS: Final = {"timestamp out of range"}


@pytest.mark.parametrize("case", [c[0] for c in MALFORMED])
def test_rust_rejects_what_we_reject(exchange: Path, case: str) -> None:
    """Every input our decoder refuses, the Rust crate refuses too, except the listed ones."""
    tp = next(c[1] for c in MALFORMED if c[0] == case)
    file = f"{_type_name(tp)}.malformed-{case.replace(' ', '-')}.bin"

    assert (case not in _ONLY_PYTHON_REJECTS) == (exchange / "rejected" / file).is_file()
