"""
harmont: Harmont CI pipelines in Python, and the engine that runs them.

``import harmont as hm`` gives the pipeline DSL; the same package holds the IR loader,
the plugin registry and host, and the embedding API. Heavy modules (docker, rich, the
borsh schemas) are imported only by the code paths that need them.
"""

from __future__ import annotations

from typing import Any

from harmont._errors import AuthError as AuthError
from harmont._errors import Cancelled as Cancelled
from harmont._errors import DecodeError as DecodeError
from harmont._errors import EngineUnavailable as EngineUnavailable
from harmont._errors import HarmontError as HarmontError
from harmont._errors import InvalidIR as InvalidIR
from harmont._errors import PipelineError as PipelineError
from harmont._errors import PipelineRenderError as PipelineRenderError
from harmont._errors import PluginConflict as PluginConflict
from harmont._errors import PluginError as PluginError
from harmont._errors import PluginLoadError as PluginLoadError
from harmont._errors import PluginRuntimeError as PluginRuntimeError
from harmont._errors import UnknownPipeline as UnknownPipeline
from harmont._errors import UnknownRunner as UnknownRunner
from harmont._errors import UsageError as UsageError

__all__ = [
    "AuthError",
    "Cancelled",
    "DecodeError",
    "EngineUnavailable",
    "HarmontError",
    "InvalidIR",
    "PipelineError",
    "PipelineRenderError",
    "PluginConflict",
    "PluginError",
    "PluginLoadError",
    "PluginRuntimeError",
    "UnknownPipeline",
    "UnknownRunner",
    "UsageError",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from harmont._version import __version__

        return __version__
    raise AttributeError(f"module 'harmont' has no attribute {name!r}")
