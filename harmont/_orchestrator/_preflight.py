"""
Pre-flight: each runner the plan uses says whether it can run, before ``build_start``.

Without it, an engine that is down or an image that is missing shows up at the first
step, after the build has started: a failed step, every other one skipped, and the one
line that matters buried under them. Asked first, the runner's error is the only output.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from harmont._plugins._dispatch import call_plugin

if TYPE_CHECKING:
    from harmont._ir._plan import Plan
    from harmont._plugins._manager import Registry

__all__ = ["check_runners", "root_images"]


def root_images(plan: Plan) -> dict[str, dict[str, str | None]]:
    """
    Runner -> {step key: image} of every chain root that starts from an image.

    A chain that continues from a fork parent starts from the parent's snapshot, not an
    image, and is left out. Runners appear in plan order.
    """
    images: dict[str, dict[str, str | None]] = {}
    for chain in plan.chains:
        root = chain.steps[0]
        runner = root.runner or plan.default_runner
        roots = images.setdefault(runner, {})
        if chain.fork_parent is None:
            roots[root.key] = root.image
        for step in chain.steps[1:]:
            images.setdefault(step.runner or plan.default_runner, {})
    return images


def check_runners(registry: Registry, plan: Plan) -> None:
    """
    Ask each runner of *plan* to check the images its chain roots start from.

    :raises EngineUnavailable: a runner's engine cannot be reached.
    :raises PluginRuntimeError: a runner refused (a missing image), or its check failed.
    """
    hook = registry.plugin_manager.hook.hm_check_runner
    for runner, images in root_images(plan).items():
        # Every implementation sees the call and only the runner's owner answers it (the
        # hook's contract), so a failure is the owner's.
        call_plugin(
            functools.partial(hook, runner=runner, images=images),
            plugin=registry.owner_of_runner(runner),
            capability="check_runner",
            expected=type(None),
        )
