"""
Debug shells in a build: ``hm debug`` (a shell where one step runs) and ``hm run -i`` (a
shell where a step failed).

The scheduler asks for a shell at one of two moments, and this module says when and opens
it through the owner of the step's runner (:func:`~harmont.hookspecs.hm_open_shell`):

- ``hm debug STEP``: the build is reduced to STEP and what it needs; when STEP's turn
  comes, the shell opens in the environment it would run in, instead of running it: STEP
  did not run, so it did not fail (it ends with exit 0). With ``--after``, STEP runs as
  any step (its result is its own, and a failed command's environment is kept), then the
  shell opens in the environment it left. Either way the shell's exit status is reported
  apart from every step's (``BuildResult.shell_exit_code``).
- ``hm run -i``: when a step's command fails, the shell opens in the environment its
  command left (the run keeps failed environments: ``context.keep_failed``), after its
  ``chain_failed`` and before fail-fast stops anything. While a shell is open the build
  holds: running steps finish, no step starts (:meth:`ShellGate.hold`); shells open one
  at a time.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import PluginRuntimeError
from harmont._orchestrator._result import EXIT_CANCELLED

if TYPE_CHECKING:
    from collections.abc import Iterator

    from harmont._plugins._context import PluginContext
    from harmont._plugins._manager import Registry
    from harmont.protocol import ExecutorInput

__all__ = ["DEFAULT_SHELL", "DebugShell", "ShellGate"]

#: The shell opened unless the user names another (``--shell``, ``HM_DEBUG_SHELL``).
DEFAULT_SHELL: Final = "sh"


@attrs.frozen(kw_only=True)
class DebugShell:
    """Where a build opens a shell, and which one."""

    #: The program to run: a shell, possibly with arguments (``bash --norc``).
    program: str = DEFAULT_SHELL
    #: ``hm debug``: the step whose environment the shell opens in instead of running it.
    at: str | None = None
    #: ``hm debug --after``: run that step as a step first, then open the shell where it left off.
    after: bool = False
    #: ``hm run -i``: open a shell where a step's command failed.
    on_failure: bool = False


class ShellGate:
    """
    Holds the build while a shell is open: :meth:`pass_` blocks until no shell is.

    Steps pass the gate before they start, so a running step finishes and the next waits.
    """

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._one_at_a_time = threading.Lock()

    def pass_(self) -> bool:
        """Return once no shell is open: True when that meant waiting for one to close."""
        if self._open.is_set():
            return False
        self._open.wait()
        return True

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Close the gate for the duration of one shell; shells queue for the terminal."""
        with self._one_at_a_time:
            self._open.clear()
            try:
                yield
            finally:
                self._open.set()


def open_shell(
    registry: Registry,
    context: PluginContext,
    executor_input: ExecutorInput,
    shell: DebugShell,
    *,
    failed_with: int | None = None,
    ran_with: int | None = None,
) -> int:
    """
    Open *shell* where *executor_input*'s step runs (or failed); return its exit status.

    :param failed_with: the exit code of the step's failed command (``hm run -i``); None
        for ``hm debug``.
    :param ran_with: the exit code of the step's command, run as a step (``hm debug
        --after``); None when it did not run.
    :raises PluginRuntimeError: the runner's plugin has no debug shell, or failed to open it.
    """
    step = executor_input.step
    if context.should_cancel():  # Ctrl-C came before the shell could own the terminal
        return EXIT_CANCELLED
    # By label, as the build's lines show it, with the key `hm debug` takes.
    name = (
        f"'{step.label}' ({step.key})" if step.label and step.label != step.key else f"'{step.key}'"
    )
    if failed_with is not None:
        said = f"step {name} failed (exit {failed_with}): a shell where its command ran"
    elif ran_with is not None:
        said = f"step {name}: the step's command exited with {ran_with}, a shell where it ran"
    else:
        said = f"step {name}: a shell where it would run"
    sys.stderr.write(
        f"hm: {said}; exit the shell to go on\nhm: the step's command:\n{_indent(step.cmd)}\n"
    )
    sys.stderr.flush()
    hook = registry.plugin_manager.hook.hm_open_shell
    try:
        status = hook(
            context=context,
            executor_input=executor_input,
            program=shell.program,
            # The command runs as a step of its own (``--after``), never in the shell.
            run_command=False,
        )
    except PluginRuntimeError:
        raise
    except Exception as exc:
        raise PluginRuntimeError(
            f"runner '{step.runner}': opening a shell for step '{step.key}' failed: {exc}",
            capability="open_shell",
            code="unhandled_exception",
        ) from exc
    if status is None:
        raise PluginRuntimeError(
            f"runner '{step.runner}' cannot open a shell (its plugin has no hm_open_shell)",
            capability="open_shell",
            code="no_debug_shell",
            hint="debug the step on a runner that can, e.g. --runner local",
        )
    return int(status)


def _indent(cmd: str) -> str:
    return "\n".join(f"    {line}" for line in cmd.splitlines() or [""])
