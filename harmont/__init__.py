"""
harmont: Harmont CI pipelines in Python, and the engine that runs them.

``import harmont as hm`` gives the pipeline DSL; the same package holds the IR loader,
the plugin registry and host, and the embedding API. Heavy modules (docker, rich, the
borsh schemas) are imported only by the code paths that need them.
"""

from __future__ import annotations

from harmont._lazy import lazy_getattr

# Not `typing.TYPE_CHECKING`: `import harmont` stays free of typing's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    from harmont import py as py
    from harmont._dsl import BaseImage as BaseImage
    from harmont._dsl import CacheCompose as CacheCompose
    from harmont._dsl import CacheForever as CacheForever
    from harmont._dsl import CacheNone as CacheNone
    from harmont._dsl import CacheOnChange as CacheOnChange
    from harmont._dsl import CachePolicy as CachePolicy
    from harmont._dsl import CacheTTL as CacheTTL
    from harmont._dsl import CMakeProject as CMakeProject
    from harmont._dsl import CMakeToolchain as CMakeToolchain
    from harmont._dsl import JsProject as JsProject
    from harmont._dsl import Pipeline as Pipeline
    from harmont._dsl import RustProject as RustProject
    from harmont._dsl import Step as Step
    from harmont._dsl import Target as Target
    from harmont._dsl import apt_base as apt_base
    from harmont._dsl import cmake as cmake
    from harmont._dsl import compose as compose
    from harmont._dsl import dump_registry_json as dump_registry_json
    from harmont._dsl import elixir as elixir
    from harmont._dsl import forever as forever
    from harmont._dsl import go as go
    from harmont._dsl import group as group
    from harmont._dsl import js as js
    from harmont._dsl import on_change as on_change
    from harmont._dsl import pipeline as pipeline
    from harmont._dsl import pipeline_to_json as pipeline_to_json
    from harmont._dsl import pr as pr
    from harmont._dsl import pull_request as pull_request
    from harmont._dsl import push as push
    from harmont._dsl import python as python
    from harmont._dsl import rust as rust
    from harmont._dsl import scratch as scratch
    from harmont._dsl import sh as sh
    from harmont._dsl import target as target
    from harmont._dsl import timeout as timeout
    from harmont._dsl import ts as ts
    from harmont._dsl import ttl as ttl
    from harmont._dsl import wait as wait
    from harmont._dsl import zig as zig
    from harmont._errors import AuthError as AuthError
    from harmont._errors import Cancelled as Cancelled
    from harmont._errors import DecodeError as DecodeError
    from harmont._errors import EngineUnavailable as EngineUnavailable
    from harmont._errors import HarmontError as HarmontError
    from harmont._errors import ImageUnavailable as ImageUnavailable
    from harmont._errors import InvalidIR as InvalidIR
    from harmont._errors import PipelineError as PipelineError
    from harmont._errors import PipelineRenderError as PipelineRenderError
    from harmont._errors import PluginConflict as PluginConflict
    from harmont._errors import PluginError as PluginError
    from harmont._errors import PluginLoadError as PluginLoadError
    from harmont._errors import PluginRuntimeError as PluginRuntimeError
    from harmont._errors import SourceError as SourceError
    from harmont._errors import UnknownPipeline as UnknownPipeline
    from harmont._errors import UnknownRunner as UnknownRunner
    from harmont._errors import UnpackError as UnpackError
    from harmont._errors import UsageError as UsageError
    from harmont._ir import Chain as Chain
    from harmont._ir import ChainDependency as ChainDependency
    from harmont._ir import Dependency as Dependency
    from harmont._ir import PipelineIR as PipelineIR
    from harmont._ir import Plan as Plan
    from harmont._ir import Registration as Registration
    from harmont._ir import load_envelope as load_envelope
    from harmont._ir import load_ir as load_ir
    from harmont._ir import plan as plan
    from harmont._orchestrator._debug import DebugShell as DebugShell
    from harmont._orchestrator._preflight import PullPolicy as PullPolicy
    from harmont._orchestrator._preflight import PullProgress as PullProgress
    from harmont._orchestrator._result import BuildResult as BuildResult
    from harmont._orchestrator._result import StepOutcome as StepOutcome
    from harmont._orchestrator._result import StepSkipped as StepSkipped
    from harmont._orchestrator._result import StepStatus as StepStatus
    from harmont._orchestrator._run import run as run
    from harmont._plugins._context import PluginContext as PluginContext
    from harmont._plugins._host import Host as Host
    from harmont._plugins._manager import PluginInfo as PluginInfo
    from harmont._plugins._manager import PluginStatus as PluginStatus
    from harmont._plugins._manager import Registry as Registry
    from harmont._plugins._manager import load_registry as load_registry
    from harmont._version import __version__ as __version__
    from harmont.hookspecs import hookimpl as hookimpl

#: Public names served lazily, so `import harmont` (and `hm --version`) stays free of
#: pluggy, attrs, the DSL, the plugin machinery and even the error classes until a
#: caller asks for them.
_LAZY: Final = {
    "zig": "harmont._dsl",
    "ts": "harmont._dsl",
    "rust": "harmont._dsl",
    "python": "harmont._dsl",
    "py": "harmont._dsl",
    "js": "harmont._dsl",
    "go": "harmont._dsl",
    "elixir": "harmont._dsl",
    "cmake": "harmont._dsl",
    "apt_base": "harmont._dsl",
    "RustProject": "harmont._dsl",
    "JsProject": "harmont._dsl",
    "CMakeToolchain": "harmont._dsl",
    "CMakeProject": "harmont._dsl",
    "AuthError": "harmont._errors",
    "Cancelled": "harmont._errors",
    "DecodeError": "harmont._errors",
    "EngineUnavailable": "harmont._errors",
    "HarmontError": "harmont._errors",
    "ImageUnavailable": "harmont._errors",
    "InvalidIR": "harmont._errors",
    "PipelineError": "harmont._errors",
    "PipelineRenderError": "harmont._errors",
    "PluginConflict": "harmont._errors",
    "PluginError": "harmont._errors",
    "PluginLoadError": "harmont._errors",
    "PluginRuntimeError": "harmont._errors",
    "SourceError": "harmont._errors",
    "UnknownPipeline": "harmont._errors",
    "UnknownRunner": "harmont._errors",
    "UnpackError": "harmont._errors",
    "UsageError": "harmont._errors",
    "__version__": "harmont._version",
    "BaseImage": "harmont._dsl",
    "CacheCompose": "harmont._dsl",
    "CacheForever": "harmont._dsl",
    "CacheNone": "harmont._dsl",
    "CacheOnChange": "harmont._dsl",
    "CachePolicy": "harmont._dsl",
    "BuildResult": "harmont._orchestrator._result",
    "CacheTTL": "harmont._dsl",
    "Chain": "harmont._ir",
    "ChainDependency": "harmont._ir",
    "DebugShell": "harmont._orchestrator._debug",
    "Dependency": "harmont._ir",
    "Host": "harmont._plugins._host",
    "Pipeline": "harmont._dsl",
    "PipelineIR": "harmont._ir",
    "Plan": "harmont._ir",
    "PluginContext": "harmont._plugins._context",
    "PluginInfo": "harmont._plugins._manager",
    "PluginStatus": "harmont._plugins._manager",
    "PullPolicy": "harmont._orchestrator._preflight",
    "PullProgress": "harmont._orchestrator._preflight",
    "Registration": "harmont._ir",
    "Registry": "harmont._plugins._manager",
    "Step": "harmont._dsl",
    "StepOutcome": "harmont._orchestrator._result",
    "StepSkipped": "harmont._orchestrator._result",
    "StepStatus": "harmont._orchestrator._result",
    "Target": "harmont._dsl",
    "compose": "harmont._dsl",
    "dump_registry_json": "harmont._dsl",
    "forever": "harmont._dsl",
    "group": "harmont._dsl",
    "hookimpl": "harmont.hookspecs",
    "load_envelope": "harmont._ir",
    "load_ir": "harmont._ir",
    "load_registry": "harmont._plugins._manager",
    "on_change": "harmont._dsl",
    "pipeline": "harmont._dsl",
    "pipeline_to_json": "harmont._dsl",
    "plan": "harmont._ir",
    "pr": "harmont._dsl",
    "pull_request": "harmont._dsl",
    "push": "harmont._dsl",
    "run": "harmont._orchestrator._run",
    "scratch": "harmont._dsl",
    "sh": "harmont._dsl",
    "target": "harmont._dsl",
    "timeout": "harmont._dsl",
    "ttl": "harmont._dsl",
    "wait": "harmont._dsl",
}

__all__ = [
    "AuthError",
    "BaseImage",
    "BuildResult",
    "CMakeProject",
    "CMakeToolchain",
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "Cancelled",
    "Chain",
    "ChainDependency",
    "DebugShell",
    "DecodeError",
    "Dependency",
    "EngineUnavailable",
    "HarmontError",
    "Host",
    "ImageUnavailable",
    "InvalidIR",
    "JsProject",
    "Pipeline",
    "PipelineError",
    "PipelineIR",
    "PipelineRenderError",
    "Plan",
    "PluginConflict",
    "PluginContext",
    "PluginError",
    "PluginInfo",
    "PluginLoadError",
    "PluginRuntimeError",
    "PluginStatus",
    "PullPolicy",
    "PullProgress",
    "Registration",
    "Registry",
    "RustProject",
    "SourceError",
    "Step",
    "StepOutcome",
    "StepSkipped",
    "StepStatus",
    "Target",
    "UnknownPipeline",
    "UnknownRunner",
    "UnpackError",
    "UsageError",
    "apt_base",
    "cmake",
    "compose",
    "dump_registry_json",
    "elixir",
    "forever",
    "go",
    "group",
    "hookimpl",
    "js",
    "load_envelope",
    "load_ir",
    "load_registry",
    "on_change",
    "pipeline",
    "pipeline_to_json",
    "plan",
    "pr",
    "pull_request",
    "push",
    "py",
    "python",
    "run",
    "rust",
    "scratch",
    "sh",
    "target",
    "timeout",
    "ts",
    "ttl",
    "wait",
    "zig",
]

__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    """The public names only, so editors and ``dir(hm)`` offer the DSL, not our imports."""
    return sorted([*__all__, "__version__"])
