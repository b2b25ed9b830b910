"""Every malformed IR document is rejected with one line saying what, where and how to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from ir.malformed_cases import MALFORMED, MALFORMED_DIR

import harmont
from harmont._ir import load_envelope


def test_every_malformed_file_has_an_expected_message() -> None:
    """The table and the directory list the same files, and there are at least twenty."""
    on_disk = sorted(path.name for path in MALFORMED_DIR.glob("*.json"))

    assert sorted(MALFORMED) == on_disk
    assert len(on_disk) >= 20


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_load_ir_rejects_malformed_file(name: str) -> None:
    """Loading the file raises InvalidIR whose message is the path and the expected line."""
    path = MALFORMED_DIR / name

    with pytest.raises(harmont.InvalidIR) as info:
        harmont.load_ir(path)

    assert f"{path}: {MALFORMED[name]}" == str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", sorted(name for name in MALFORMED if name.startswith("envelope-")))
def test_load_envelope_rejects_malformed_envelope(name: str) -> None:
    """An envelope is checked whole by load_envelope, with the same messages."""
    path = MALFORMED_DIR / name

    with pytest.raises(harmont.InvalidIR) as info:
        load_envelope(Path(path))

    assert f"{path}: {MALFORMED[name]}" == str(info.value)
