"""
What a test does when this machine lacks a component it needs (a Docker engine, cargo, a C
compiler, the test cluster): it skips, naming the component, unless CI is running it.

CI's machine has every component the suite uses (``.ci/run`` installs them), so under
``CI=true`` a missing one is a broken CI set-up, never a reason to skip: the test fails
and says so, and a green CI run always means the whole suite ran.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["unavailable"]


def unavailable(reason: str, *, tests: str) -> NoReturn:
    """
    Skip for *reason*, or fail under ``CI=true``.

    :param tests: which tests need the component, for the failure's message ("docker").
    """
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}: CI runs the {tests} tests, it never skips them")
    pytest.skip(reason)
