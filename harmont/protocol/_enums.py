"""
The small wire enums (docs/protocol.md).

Each member's value is its snake_case JSON name; its borsh variant index is its position
in the class body, so the member order below is part of the protocol.
"""

from __future__ import annotations

import enum

__all__ = ["HookEventKind", "HookPhase", "KvScope", "Level", "StdStream", "ValueType"]


class ValueType(enum.Enum):
    """
    How the host parses a subcommand argument before handing it to the plugin.

    ``BOOL`` is accepted by the reference host but parsed as a string there (docs/protocol.md).
    """

    STRING = "string"
    INT = "int"
    BOOL = "bool"


class HookPhase(enum.Enum):
    """When a lifecycle hook runs: ``BEFORE`` may abort the action, ``AFTER`` only observes."""

    BEFORE = "before"
    AFTER = "after"


class HookEventKind(enum.Enum):
    """The subscription vocabulary of lifecycle hooks; ``chain_failed`` is deliberately absent."""

    BUILD_START = "build_start"
    STEP_QUEUED = "step_queued"
    STEP_START = "step_start"
    STEP_LOG = "step_log"
    STEP_CACHE_HIT = "step_cache_hit"
    STEP_END = "step_end"
    BUILD_END = "build_end"


class StdStream(enum.Enum):
    """Which output stream of a step a log line came from."""

    STDOUT = "stdout"
    STDERR = "stderr"


class Level(enum.Enum):
    """Severity of a plugin's ``log`` call (wire byte 0-4 on the FFI call)."""

    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


class KvScope(enum.Enum):
    """Lifetime of a key-value entry: persistent per plugin, one build, or one step."""

    PLUGIN = "plugin"
    BUILD = "build"
    STEP = "step"
