"""
The pipeline DSL behind ``import harmont as hm``.

It renders byte for byte what ``harmont==0.0.9`` renders for the same program, and
misuse raises the same builtin exception types (``ValueError``, ``TypeError``...), so
programs written against either keep working; the loader turns them into harmont errors.
"""

from __future__ import annotations

from harmont import py
from harmont._dsl._cache import CacheCompose as CacheCompose
from harmont._dsl._cache import CacheForever as CacheForever
from harmont._dsl._cache import CacheNone as CacheNone
from harmont._dsl._cache import CacheOnChange as CacheOnChange
from harmont._dsl._cache import CachePolicy as CachePolicy
from harmont._dsl._cache import CacheTTL as CacheTTL
from harmont._dsl._cache import compose as compose
from harmont._dsl._cache import forever as forever
from harmont._dsl._cache import on_change as on_change
from harmont._dsl._cache import ttl as ttl
from harmont._dsl._decorators import pipeline as pipeline
from harmont._dsl._decorators import target as target
from harmont._dsl._markers import BaseImage as BaseImage
from harmont._dsl._markers import Target as Target
from harmont._dsl._registry import PipelineRegistry as PipelineRegistry
from harmont._dsl._registry import current_registry as current_registry
from harmont._dsl._registry import isolated_registry as isolated_registry
from harmont._dsl._render import dump_registry_json as dump_registry_json
from harmont._dsl._render import pipeline_to_json as pipeline_to_json
from harmont._dsl._step import EnvVars as EnvVars
from harmont._dsl._step import Pipeline as Pipeline
from harmont._dsl._step import Step as Step
from harmont._dsl._step import group as group
from harmont._dsl._step import scratch as scratch
from harmont._dsl._step import sh as sh
from harmont._dsl._step import timeout as timeout
from harmont._dsl._step import wait as wait
from harmont._dsl._triggers import PullRequestTrigger as PullRequestTrigger
from harmont._dsl._triggers import PushTrigger as PushTrigger
from harmont._dsl._triggers import Trigger as Trigger
from harmont._dsl._triggers import pull_request as pr
from harmont._dsl._triggers import pull_request as pull_request
from harmont._dsl._triggers import push as push
from harmont._dsl.toolchains import CMakeProject as CMakeProject
from harmont._dsl.toolchains import CMakeToolchain as CMakeToolchain
from harmont._dsl.toolchains import JsProject as JsProject
from harmont._dsl.toolchains import RustProject as RustProject
from harmont._dsl.toolchains import apt_base as apt_base
from harmont._dsl.toolchains import cmake as cmake
from harmont._dsl.toolchains import elixir as elixir
from harmont._dsl.toolchains import go as go
from harmont._dsl.toolchains import js as js
from harmont._dsl.toolchains import python as python
from harmont._dsl.toolchains import rust as rust
from harmont._dsl.toolchains import ts as ts
from harmont._dsl.toolchains import zig as zig

__all__ = [
    "BaseImage",
    "CMakeProject",
    "CMakeToolchain",
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "EnvVars",
    "JsProject",
    "Pipeline",
    "PipelineRegistry",
    "PullRequestTrigger",
    "PushTrigger",
    "RustProject",
    "Step",
    "Target",
    "Trigger",
    "apt_base",
    "cmake",
    "compose",
    "current_registry",
    "dump_registry_json",
    "elixir",
    "forever",
    "go",
    "group",
    "isolated_registry",
    "js",
    "on_change",
    "pipeline",
    "pipeline_to_json",
    "pr",
    "pull_request",
    "push",
    "py",
    "python",
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

# Reprs and tracebacks show where users import these from, not our private layout.
for _class in (CacheCompose, CacheForever, CacheNone, CacheOnChange, CachePolicy, CacheTTL, Step):
    _class.__module__ = "harmont"
for _trigger_class in (PullRequestTrigger, PushTrigger, Trigger):
    _trigger_class.__module__ = "harmont.triggers"
del _class, _trigger_class
