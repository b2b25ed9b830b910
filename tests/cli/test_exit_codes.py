"""`hm`'s exit codes: a build's own codes are the ones the CLI documents."""

from __future__ import annotations

import pytest

from harmont._orchestrator._result import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PLUGIN_FAILED,
)
from harmont_cli._exit import ExitCode


@pytest.mark.parametrize(
    ("build_code", "cli_code"),
    [
        (EXIT_OK, ExitCode.OK),
        (EXIT_FAILED, ExitCode.FAILED),
        (EXIT_PLUGIN_FAILED, ExitCode.PLUGIN_RUNTIME),
        (EXIT_CANCELLED, ExitCode.CANCELLED),
    ],
)
def test_a_builds_exit_code_is_the_cli_code_of_the_same_meaning(
    build_code: int, cli_code: ExitCode
) -> None:
    """`hm run` exits with BuildResult.exit_code, so each must name the CLI's code."""
    assert cli_code is ExitCode(build_code)
