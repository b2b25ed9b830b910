"""
Steps: the immutable nodes a pipeline program chains together.

A step points at its parent; rendering walks back from the leaves. Only steps with a
command become IR nodes: ``scratch()`` roots and ``fork()`` points exist to give their
children a parent, and ``wait()`` barriers become ``depends_on`` edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from harmont._dsl._cache import CachePolicy
from harmont._dsl._duration import parse_duration

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import timedelta

__all__ = ["EnvVars", "Pipeline", "Step", "group", "scratch", "sh", "timeout", "wait"]


def _check_cache(_instance: object, _field: object, value: Any) -> None:
    if value is not None and not isinstance(value, CachePolicy):
        raise TypeError(
            f"cache must be a cache policy such as hm.ttl(...) or hm.forever(), got {value!r}"
        )


@attrs.frozen(kw_only=True)
class Step:
    """
    One node of a pipeline; every method returns a new step and leaves this one unchanged.

    Build steps with :func:`sh`, :func:`scratch` and :func:`wait`, then ``.sh()`` and
    ``.fork()``; the fields are public for reading.
    """

    #: The shell command; ``None`` for scratch roots, fork points and waits.
    cmd: str | None = None
    #: The step this one was chained from.
    parent: Step | None = None
    #: Whether this is a ``wait()`` barrier.
    is_wait: bool = False
    #: For a barrier: let later steps run even when earlier ones failed.
    continue_on_failure: bool = False
    label: str | None = None
    cache: CachePolicy | None = attrs.field(default=None, validator=_check_cache)
    env: dict[str, str] | None = None
    timeout_seconds: int | None = None
    #: Base image; meaningful on chain roots only (children start from the parent).
    image: str | None = None
    #: The executor plugin's runner name; ``None`` means the default runner.
    runner: str | None = None
    #: Arguments for the runner, any JSON value.
    runner_args: Any = None
    #: The explicit ``key=``; named apart from the key rendering derives.
    key_override: str | None = None

    def sh(
        self,
        cmd: str,
        *,
        cwd: str | None = None,
        label: str | None = None,
        cache: CachePolicy | None = None,
        env: dict[str, str] | None = None,
        image: str | None = None,
        runner: str | None = None,
        runner_args: Any = None,
        key: str | None = None,
    ) -> Step:
        """
        Return a step that runs ``cmd`` in this step's filesystem.

        An image set on a scratch root (``hm.scratch()`` has none, a ``BaseImage`` target
        parameter does) carries over to the first command chained from it, and no further.

        :param cwd: a directory to ``cd`` into first, relative to the workspace root.
        :param label: what the UI shows; its slug becomes the step key when unique.
        :param cache: when the step's snapshot may be reused, e.g. ``hm.ttl(...)``.
        :param env: variables for this step, over the pipeline's.
        :param image: the base image, for a step that starts a chain.
        :param runner: the executor plugin to run the step with.
        :param runner_args: arguments for that executor.
        :param key: the step key, instead of one derived from the label or command.
        :raises ValueError: when ``cwd`` is the empty string.
        """
        if cwd == "":
            raise ValueError(
                "cwd must be a non-empty path, got ''; omit cwd= to run in the workspace root"
            )
        if image is None and self.cmd is None:
            image = self.image
        return Step(
            cmd=cmd if cwd is None else f"cd {cwd} && {cmd}",
            parent=self,
            label=label,
            cache=cache,
            env=env,
            image=image,
            runner=runner,
            runner_args=runner_args,
            key_override=key,
        )

    def fork(self, label: str | None = None) -> Step:
        """
        Return a branch point: every chain started from it builds in this step's snapshot.

        :param label: a name for the branch point (it is not rendered).
        """
        return Step(parent=self, label=label)


def scratch() -> Step:
    """Return an empty root to start a chain from."""
    return Step()


def sh(
    cmd: str,
    *,
    cwd: str | None = None,
    label: str | None = None,
    cache: CachePolicy | None = None,
    env: dict[str, str] | None = None,
    image: str | None = None,
    runner: str | None = None,
    runner_args: Any = None,
    key: str | None = None,
) -> Step:
    """Start a chain with ``cmd``: ``scratch().sh(cmd, ...)``, see :meth:`Step.sh`."""
    return scratch().sh(
        cmd,
        cwd=cwd,
        label=label,
        cache=cache,
        env=env,
        image=image,
        runner=runner,
        runner_args=runner_args,
        key=key,
    )


def wait(*, continue_on_failure: bool = False) -> Step:
    """
    Return a barrier: steps listed after it in ``hm.pipeline([...])`` start only once the
    steps listed before it (back to the previous barrier) have finished.
    """
    return Step(is_wait=True, continue_on_failure=continue_on_failure)


def timeout(duration: str | int | timedelta, step: Step) -> Step:
    """
    Return ``step`` with a wall-clock limit, replacing any limit it had.

    :param duration: ``"30s"``, ``"1h30m"``, an ``int`` of seconds or a ``timedelta``.
    :raises ValueError: for a ``wait()`` barrier or a malformed or non-positive duration.
    :raises TypeError: for a duration of another type.
    """
    if step.is_wait:
        raise ValueError(
            "hm.timeout cannot wrap a wait() barrier; wrap a command step, "
            "e.g. hm.timeout('30s', hm.sh('make test'))"
        )
    return attrs.evolve(step, timeout_seconds=parse_duration(duration))


def group(steps: Iterable[Step]) -> tuple[Step, ...]:
    """Return ``steps`` as the tuple of leaves a pipeline function may return."""
    return tuple(steps)


#: What a pipeline function returns: one leaf step or a tuple of them.
Pipeline: TypeAlias = Step | tuple[Step, ...]
#: Environment variables, name to value.
EnvVars: TypeAlias = dict[str, str]
