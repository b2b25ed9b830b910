"""
hostile-py: a Python runner whose execute_step misbehaves as ``HM_FAULT`` says.

raise (an ordinary exception), exit (SystemExit), interrupt (KeyboardInterrupt), hang
(never return), garbage (return something that is no StepResult); anything else passes.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from harmont_sdk import StepExecutor, StepResult, executor, manifest


class Hostile(StepExecutor):
    manifest = manifest("hostile-py", "1.0.0", executor("hostile-py"))

    def execute_step(self, context: Any, executor_input: Any) -> Any:
        fault = os.environ.get("HM_FAULT", "")
        if fault == "raise":
            raise RuntimeError("hostile plugin raised on purpose")
        if fault == "exit":
            raise SystemExit(3)
        if fault == "interrupt":
            raise KeyboardInterrupt
        if fault == "hang":
            threading.Event().wait()
        if fault == "garbage":
            return "garbage"
        return StepResult(exit_code=0)


plugin = Hostile()
