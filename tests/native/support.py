"""Helpers of the native-plugin tests."""

from __future__ import annotations

import uuid

from harmont.protocol import CacheMissNoCommit, CommandStep, ExecutorInput


def executor_input(key: str = "build", **step: object) -> ExecutorInput:
    """An ExecutorInput for a one-line step."""
    return ExecutorInput(
        step=CommandStep(key=key, cmd="true", **step),  # type: ignore[arg-type]
        workspace_archive_id=uuid.uuid4(),
        env={"CI": "1"},
        workdir="/workspace",
        run_id=uuid.uuid4(),
        step_id=uuid.uuid4(),
        cache_lookup=CacheMissNoCommit(),
    )
