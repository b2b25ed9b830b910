"""
harmont: Harmont CI pipelines in Python, and the engine that runs them.

``import harmont as hm`` gives the pipeline DSL; the same package holds the IR loader,
the plugin registry and host, and the embedding API. Heavy modules (docker, rich, the
borsh schemas) are imported only by the code paths that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

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

if TYPE_CHECKING:
    from harmont._plugins._context import PluginContext as PluginContext
    from harmont._plugins._host import Host as Host
    from harmont._plugins._manager import PluginInfo as PluginInfo
    from harmont._plugins._manager import PluginStatus as PluginStatus
    from harmont._plugins._manager import Registry as Registry
    from harmont._plugins._manager import load_registry as load_registry
    from harmont.hookspecs import hookimpl as hookimpl

#: Public names served lazily, so `import harmont` (and `hm --version`) stays free of
#: pluggy and the plugin machinery until a caller asks for them.
_LAZY: Final = {
    "Host": "harmont._plugins._host",
    "PluginContext": "harmont._plugins._context",
    "PluginInfo": "harmont._plugins._manager",
    "PluginStatus": "harmont._plugins._manager",
    "Registry": "harmont._plugins._manager",
    "hookimpl": "harmont.hookspecs",
    "load_registry": "harmont._plugins._manager",
}

__all__ = [
    "AuthError",
    "Cancelled",
    "DecodeError",
    "EngineUnavailable",
    "HarmontError",
    "Host",
    "InvalidIR",
    "PipelineError",
    "PipelineRenderError",
    "PluginConflict",
    "PluginContext",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "PluginRuntimeError",
    "PluginStatus",
    "Registry",
    "UnknownPipeline",
    "UnknownRunner",
    "UsageError",
    "hookimpl",
    "load_registry",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from harmont._version import __version__

        return __version__
    module = _LAZY.get(name)
    if module is not None:
        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'harmont' has no attribute {name!r}")
