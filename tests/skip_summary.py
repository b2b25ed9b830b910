"""
A pytest plugin of the suite: the end of every run names each component it skipped.

A test that needs something this machine lacks (a Docker engine, a static busybox, cargo,
a C compiler) skips with the reason. Under xdist each skip is one line among hundreds of
dots; this section says once, after everything else, which parts of the suite did not
run and why, so a green run without Docker cannot pass for a full one.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest
    from _pytest.terminal import TerminalReporter


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    """Print ``skipped components`` with each distinct skip reason and its test count."""
    reasons: collections.Counter[str] = collections.Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.section("skipped components", sep="=", yellow=True, bold=True)
    for reason, count in reasons.most_common():
        tests = "1 test" if count == 1 else f"{count} tests"
        terminalreporter.line(f"{tests}: {reason}", yellow=True)
    terminalreporter.line("see README.md, Set up: what the tests need", yellow=True)
