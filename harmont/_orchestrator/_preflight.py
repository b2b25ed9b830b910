"""
Pre-flight: each runner the plan uses makes sure it can run, before ``build_start``.

Without it, an engine that is down or an image that is missing shows up at the first
step, after the build has started: a failed step, every other one skipped, and the one
line that matters buried under them. Asked first, the runner's error is the only output.

This is also where a runner pulls the images its chain roots start from, under the
build's :class:`PullPolicy`, reporting each pull's progress as :class:`PullProgress`:
a pull can take minutes, and done here it is finished (or has failed with one error)
before any step's clock starts.
"""

from __future__ import annotations

import enum
import functools
import threading
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont._errors import Cancelled, UsageError
from harmont._plugins._dispatch import call_plugin

if TYPE_CHECKING:
    from collections.abc import Callable

    from harmont._ir._plan import Plan
    from harmont._plugins._manager import Registry

__all__ = ["PullFeed", "PullPolicy", "PullProgress", "check_runners", "root_images"]


class PullPolicy(enum.StrEnum):
    """
    When a runner pulls the image a chain starts from: what ``docker run --pull`` means.

    A ``str``, so a plugin may compare it with the plain words.
    """

    #: Pull an image only when it is not stored locally (the default).
    MISSING = "missing"
    #: Pull every image, so each tag runs the registry's current content.
    ALWAYS = "always"
    #: Never pull: an image that is not stored is an :class:`~harmont.ImageUnavailable`.
    NEVER = "never"

    @classmethod
    def parse(cls, value: str) -> PullPolicy:
        """
        *value* as a policy.

        :raises UsageError: it is not one of the three words.
        """
        try:
            return cls(value)
        except ValueError:
            words = ", ".join(policy.value for policy in cls)
            raise UsageError(
                f"pull must be one of {words} (got {value!r})",
                hint="missing pulls only images that are not stored, as `docker run` does",
            ) from None


@attrs.frozen(kw_only=True)
class PullProgress:
    """
    Where the pull of one image stands: a runner sends one whenever it learns more.

    Counts cover the layers the registry has sent word of so far, so ``layers`` and
    ``size`` may grow while a pull runs. The last report of a pull that succeeded has
    ``finished`` set; a pull that fails ends with the error its runner raises instead.
    """

    #: The image as the pipeline names it.
    image: str
    #: Layers of the image the runner has heard of, stored already or not.
    layers: int = 0
    #: Of those, the layers that are stored now.
    layers_done: int = 0
    #: Bytes downloaded so far.
    downloaded: int = 0
    #: Bytes to download, over the layers whose size is known so far.
    size: int = 0
    #: The pull is over and the image stored.
    finished: bool = False
    #: Set with ``finished``: the pull changed the stored image (False: it was current).
    updated: bool = False


@final
class PullFeed:
    """
    The ``on_pull`` callable runners get: it forwards to the build's subscriber until closed.

    The pre-flight runs on a thread that a Ctrl-C abandons; its pulls go on until they
    next report. Once :meth:`close` is called (the caller stopped waiting), a report is
    not forwarded but answered with :class:`~harmont.Cancelled`, which stops the pull that
    sent it; a subscriber never hears of a pull after :func:`harmont.run` has returned.
    Thread-safe: runners pull several images at once.

    :param subscriber: receives every report, on the pulling thread; None drops them.
    """

    def __init__(self, subscriber: Callable[[PullProgress], None] | None) -> None:
        self._subscriber = subscriber
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, progress: PullProgress) -> None:
        """Forward *progress*; raise :class:`~harmont.Cancelled` once closed."""
        with self._lock:
            if self._closed:
                raise Cancelled(f"stopped pulling '{progress.image}': the build was cancelled")
            if self._subscriber is not None:
                self._subscriber(progress)

    def close(self) -> None:
        """Stop forwarding; a report in flight is delivered before this returns."""
        with self._lock:
            self._closed = True


#: The policy of :func:`harmont.run` and `hm run` when none is given.
DEFAULT_PULL: Final = PullPolicy.MISSING


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


def check_runners(
    registry: Registry,
    plan: Plan,
    *,
    pull: PullPolicy = DEFAULT_PULL,
    on_pull: Callable[[PullProgress], None] | None = None,
) -> None:
    """
    Ask each runner of *plan* to check, and pull as *pull* says, its chain roots' images.

    :param on_pull: receives the runners' pull progress (a :class:`PullFeed`, usually).
    :raises EngineUnavailable: a runner's engine, or an image's registry, cannot be reached.
    :raises ImageUnavailable: an image is not stored and may not be pulled, or its
        registry refused it.
    :raises PluginRuntimeError: a runner's check failed otherwise.
    """
    hook = registry.plugin_manager.hook.hm_check_runner
    report = on_pull if on_pull is not None else _ignore
    for runner, images in root_images(plan).items():
        # Every implementation sees the call and only the runner's owner answers it (the
        # hook's contract), so a failure is the owner's.
        owner = registry.owner_of_runner(runner)
        with registry.traced(owner, "check_runner"):
            call_plugin(
                functools.partial(hook, runner=runner, images=images, pull=pull, on_pull=report),
                plugin=owner,
                capability="check_runner",
                expected=type(None),
            )


def _ignore(progress: PullProgress) -> None:
    """The ``on_pull`` of a build nobody watches."""
