"""
The pipeline DSL behind ``import harmont as hm``.

It renders byte for byte what ``harmont==0.0.9`` renders for the same program, and
misuse raises the same builtin exception types (``ValueError``, ``TypeError``...), so
programs written against either keep working; the loader turns them into harmont errors.
"""

from __future__ import annotations

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

__all__ = [
    "BaseImage",
    "CacheCompose",
    "CacheForever",
    "CacheNone",
    "CacheOnChange",
    "CachePolicy",
    "CacheTTL",
    "EnvVars",
    "Pipeline",
    "PipelineRegistry",
    "PullRequestTrigger",
    "PushTrigger",
    "Step",
    "Target",
    "Trigger",
    "compose",
    "current_registry",
    "dump_registry_json",
    "forever",
    "group",
    "isolated_registry",
    "on_change",
    "pipeline",
    "pipeline_to_json",
    "pr",
    "pull_request",
    "push",
    "scratch",
    "sh",
    "target",
    "timeout",
    "ttl",
    "wait",
]

# Reprs and tracebacks show where users import these from, not our private layout.
for _class in (CacheCompose, CacheForever, CacheNone, CacheOnChange, CachePolicy, CacheTTL, Step):
    _class.__module__ = "harmont"
for _trigger_class in (PullRequestTrigger, PushTrigger, Trigger):
    _trigger_class.__module__ = "harmont.triggers"
del _class, _trigger_class
