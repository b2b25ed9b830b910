"""
Exit codes of `hm`, and the one table that maps harmont's errors onto them.

Only the CLI edge turns errors into exit codes; the library raises (or, for a failed
build, returns a result) and never exits the process.
"""

from __future__ import annotations

import enum
import sys
from typing import Final

from harmont import _errors as e
from harmont._orchestrator._result import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PLUGIN_FAILED,
)

__all__ = ["ExitCode", "exit_code_for", "report"]


class ExitCode(enum.IntEnum):
    """Process exit codes of `hm`."""

    #: Every step passed (or the command succeeded).
    OK = EXIT_OK
    #: A step failed, or an unexpected error occurred.
    FAILED = EXIT_FAILED
    #: Usage error or invalid input: bad flags, bad IR, unknown pipeline, a source tree
    #: that cannot be packed (unreadable file, over the size limit), an image that cannot
    #: be had (not stored under ``--pull never``, no such tag, access denied).
    USAGE = 2
    #: Credentials missing or refused.
    AUTH = 3
    #: The Docker engine or the network is unreachable.
    UNREACHABLE = 4
    #: A plugin failed to load, or two plugins conflict.
    PLUGIN_LOAD = 5
    #: A plugin failed while it was running.
    PLUGIN_RUNTIME = EXIT_PLUGIN_FAILED
    #: The pipeline names a runner that no loaded plugin provides.
    PIPELINE_INVALID = 7
    #: The user cancelled the run (Ctrl-C).
    CANCELLED = EXIT_CANCELLED


#: Most specific class first: the first match wins.
_TABLE: Final[tuple[tuple[type[e.HarmontError], ExitCode], ...]] = (
    (e.UnknownRunner, ExitCode.PIPELINE_INVALID),
    (e.PipelineError, ExitCode.USAGE),
    (e.UsageError, ExitCode.USAGE),
    # Unpacking fails on the host's own archive or the runner's disk: not the user's input.
    (e.UnpackError, ExitCode.FAILED),
    (e.SourceError, ExitCode.USAGE),
    (e.ImageUnavailable, ExitCode.USAGE),
    (e.DecodeError, ExitCode.PLUGIN_RUNTIME),
    (e.PluginLoadError, ExitCode.PLUGIN_LOAD),
    (e.PluginRuntimeError, ExitCode.PLUGIN_RUNTIME),
    (e.PluginError, ExitCode.PLUGIN_RUNTIME),
    (e.EngineUnavailable, ExitCode.UNREACHABLE),
    (e.AuthError, ExitCode.AUTH),
    (e.Cancelled, ExitCode.CANCELLED),
)


def exit_code_for(error: e.HarmontError) -> ExitCode:
    """Return the exit code the CLI uses for ``error``."""
    for cls, code in _TABLE:
        if isinstance(error, cls):
            return code
    return ExitCode.FAILED


def report(error: e.HarmontError) -> ExitCode:
    """Print ``error: ...`` (and ``hint: ...``) on stderr and return the exit code."""
    sys.stderr.write(f"error: {error.message}\n")
    if error.hint:
        sys.stderr.write(f"hint: {error.hint}\n")
    sys.stderr.flush()
    return exit_code_for(error)
