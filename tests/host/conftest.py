"""Fixtures for the host API tests: a real host over a temporary state directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from harmont._plugins._host import Host

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from harmont.protocol import BuildEvent


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private state directory, so no test touches the user's."""
    return tmp_path / "state"


@pytest.fixture
def events() -> list[BuildEvent]:
    """The events a run host emitted, in order."""
    return []


@pytest.fixture
def host(state_dir: Path, events: list[BuildEvent], tmp_path: Path) -> Iterator[Host]:
    """A run host whose project root is ``tmp_path/repo`` and whose sink is ``events``."""
    with Host(project_root=tmp_path / "repo", state_dir=state_dir, emit=events.append) as h:
        yield h
