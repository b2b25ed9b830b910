"""
Rendering: pipelines to the JSON that ``hm`` and the Harmont service read.

:func:`pipeline_to_json` renders one IR document from ``hm.pipeline([...])``;
:func:`dump_registry_json` renders every registered pipeline into the discovery envelope
``{"schema_version": "1", "pipelines": [...]}``. Both fill in cache keys first, from inputs
that default to the process: org ``$HM_PIPELINE_ORG`` (else ``"default"``), the clock, the
current directory and the environment.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harmont._dsl._cachekey import RenderInputs, resolve_cache_keys
from harmont._dsl._graph import build_ir, has_command
from harmont._dsl._registry import PipelineRegistration, PipelineRegistry, current_registry
from harmont._dsl._step import Step
from harmont._dsl.toolchains import default_leaves

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["dump_registry_json", "pipeline_to_json"]


def pipeline_to_json(
    p: dict[str, Any],
    *,
    pipeline_org: str | None = None,
    pipeline_slug: str | None = None,
    now: int | None = None,
    base_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """
    Return the JSON of IR document ``p`` with its cache keys filled in; ``p`` is unchanged.

    :param pipeline_org: default ``$HM_PIPELINE_ORG``, else ``"default"``.
    :param pipeline_slug: default ``$HM_PIPELINE_SLUG``, else ``"default"``.
    :param now: Unix seconds, default the current time.
    :param base_path: where ``on_change`` paths are read, default the current directory.
    :param env: the variables ``env_keys`` read, default the process environment.
    :raises ValueError: when a cached step's parent is not cached.
    """
    env_map = os.environ if env is None else env
    inputs = RenderInputs(
        org=_org(pipeline_org, env_map),
        slug=env_map.get("HM_PIPELINE_SLUG", "default") if pipeline_slug is None else pipeline_slug,
        now=_now(now),
        base_path=Path.cwd() if base_path is None else base_path,
        env=env_map,
    )
    document = copy.deepcopy(p)
    resolve_cache_keys(document.get("graph", {}), inputs)
    # Unlike the envelope below, this form keeps non-ASCII text as is: both are what
    # harmont 0.0.9 emits, byte for byte.
    return json.dumps(document, ensure_ascii=False)


def dump_registry_json(
    *,
    pipeline_org: str | None = None,
    now: int | None = None,
    base_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    registry: PipelineRegistry | None = None,
) -> str:
    """
    Return the discovery envelope of every registered pipeline, in declaration order.

    Targets run afresh for this render and at most once in it, whichever pipelines use them.

    :param registry: the registry to render, default :func:`current_registry`.
    :raises TypeError: when a pipeline function returns something other than steps.
    """
    chosen = current_registry() if registry is None else registry
    chosen.start_render()
    env_map = os.environ if env is None else env
    org, clock = _org(pipeline_org, env_map), _now(now)
    root = Path.cwd() if base_path is None else base_path
    envelope = {
        "schema_version": "1",
        "pipelines": [
            _registration_json(
                each, RenderInputs(org=org, slug=each.slug, now=clock, base_path=root, env=env_map)
            )
            for each in chosen.pipelines
        ],
    }
    return json.dumps(envelope)


def _org(org: str | None, env: Mapping[str, str]) -> str:
    return env.get("HM_PIPELINE_ORG", "default") if org is None else org


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _registration_json(registration: PipelineRegistration, inputs: RenderInputs) -> dict[str, Any]:
    leaves = _leaves(registration.fn(), registration.slug)
    document = build_ir(leaves, env=registration.env, timeout=registration.timeout_seconds)
    resolve_cache_keys(document["graph"], inputs)
    return {
        "slug": registration.slug,
        "name": registration.name,
        "allow_manual": registration.allow_manual,
        "triggers": [trigger.to_dict() for trigger in registration.triggers],
        "definition": document,
    }


def _leaves(returned: object, slug: str) -> tuple[Step, ...]:
    """
    The steps a pipeline function returned: a step, a toolchain object (its default leaves),
    or lists and tuples of those, nested.

    :raises TypeError: naming what was returned, for anything else.
    :raises ValueError: when that holds no command step (``[]``, or only ``hm.wait()``).
    """
    leaves = _flatten(returned, slug, inside=None)
    if not has_command(leaves):
        shown = "only wait() barriers" if leaves else f"an empty {type(returned).__name__}"
        raise ValueError(
            f"pipeline {slug!r} returned {shown}, so it has no step to run: "
            "return the steps it runs, e.g. return [build, test]"
        )
    return leaves


def _flatten(value: object, slug: str, inside: str | None) -> tuple[Step, ...]:
    if isinstance(value, Step):
        return (value,)
    if isinstance(value, list | tuple):
        kind = type(value).__name__
        return tuple(leaf for item in value for leaf in _flatten(item, slug, inside or kind))
    defaults = default_leaves(value)
    if defaults is not None:
        return defaults
    what = f"{type(value).__name__} {value!r}"
    shown = f"a {inside} holding {what}" if inside else what
    raise TypeError(
        f"pipeline {slug!r} returned {shown}: return a step, a list of steps "
        "(return [build, test]) or a toolchain project such as hm.rust.project()"
    )
