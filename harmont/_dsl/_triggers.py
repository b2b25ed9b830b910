"""
Triggers: the repository events that start a registered pipeline on their own.

Each trigger renders to one object of the envelope's ``triggers`` list through ``to_dict``;
a subclass of :class:`Trigger` may render a custom event the same way.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "PR_TYPES",
    "PullRequestTrigger",
    "PushTrigger",
    "Trigger",
    "pull_request",
    "push",
]

#: The pull-request actions a trigger may select, as GitHub names them.
PR_TYPES = frozenset({"opened", "synchronize", "reopened", "closed", "ready_for_review"})
_DEFAULT_PR_TYPES = ("opened", "synchronize", "reopened")

_Globs: TypeAlias = "str | Iterable[str]"


def _types(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _globs(value: _Globs | None) -> tuple[str, ...] | None:
    """One glob or several, as a tuple; ``None`` stays ``None`` (no filter)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen(kw_only=True)
class Trigger(abc.ABC):
    """The base of every trigger."""

    @abc.abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The trigger's object in the envelope; every concrete trigger defines it."""


@attrs.frozen(kw_only=True)
class PushTrigger(Trigger):
    """A push to a matching branch, or of a matching tag."""

    #: Branch globs (``*`` also matches ``/``), or ``None`` for a tag trigger.
    branches: tuple[str, ...] | None = attrs.field(default=None, converter=_globs)
    #: Tag globs, or ``None`` for a branch trigger.
    tags: tuple[str, ...] | None = attrs.field(default=None, converter=_globs)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": "push"}
        if self.branches is not None:
            out["branches"] = list(self.branches)
        if self.tags is not None:
            out["tags"] = list(self.tags)
        return out


@attrs.frozen(kw_only=True)
class PullRequestTrigger(Trigger):
    """A pull-request action on a pull request into a matching branch."""

    #: Globs of the target branch, or ``None`` for any branch.
    branches: tuple[str, ...] | None = attrs.field(default=None, converter=_globs)
    #: The actions that start the pipeline.
    types: tuple[str, ...] = attrs.field(default=_DEFAULT_PR_TYPES, converter=_types)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": "pull_request"}
        if self.branches is not None:
            out["branches"] = list(self.branches)
        out["types"] = list(self.types)
        return out


def push(branch: _Globs | None = None, tag: _Globs | None = None) -> PushTrigger:
    """
    Start the pipeline on a push of a matching branch, or of a matching tag.

    :param branch: one glob or several (``*`` matches any characters, ``/`` included).
    :param tag: one glob or several; give exactly one of ``branch`` and ``tag``.
    :raises ValueError: when both or neither are given.
    """
    if (branch is None) == (tag is None):
        raise ValueError(
            "hm.push takes exactly one of branch= and tag=, "
            "e.g. hm.push(branch='main') or hm.push(tag='v*')"
        )
    return PushTrigger(branches=branch, tags=tag)


def pull_request(
    branches: _Globs | None = None, types: Iterable[str] | None = None
) -> PullRequestTrigger:
    """
    Start the pipeline on pull-request actions.

    :param branches: globs of the target branch; ``None`` for any.
    :param types: actions among :data:`PR_TYPES`; default opened, synchronize, reopened.
    :raises ValueError: for no types or an unknown one.
    """
    chosen = _DEFAULT_PR_TYPES if types is None else tuple(types)
    if not chosen:
        raise ValueError("hm.pull_request: types must name at least one action")
    unknown = [kind for kind in chosen if kind not in PR_TYPES]
    if unknown:
        raise ValueError(
            f"hm.pull_request: unknown type {unknown[0]!r}, expected one of "
            f"{', '.join(sorted(PR_TYPES))}"
        )
    return PullRequestTrigger(branches=branches, types=chosen)
