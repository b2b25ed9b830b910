"""
What every toolchain helper shares: the apt base, the install chain, and the options a
helper's action methods pass on to :meth:`Step.sh`.

A helper's steps form one chain: an apt base step (cached for a day, since package indexes
move), the toolchain's own install step (cached forever: its command pins the version it
fetches), then whatever the helper adds (dependencies, warm builds) and the action leaves.
With ``base=`` the chain hangs off a step the caller already has, so several toolchains can
share one apt base.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from harmont._dsl._cache import CacheTTL
from harmont._dsl._step import scratch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from harmont._dsl._cache import CachePolicy
    from harmont._dsl._step import Step

__all__ = [
    "APT_REFRESH",
    "SHORTHAND_STEP_OPTIONS",
    "Shorthand",
    "apt_base",
    "apt_install",
    "check_version",
    "install_chain",
    "labelled",
]

#: How long an apt base stays cached: package indexes change under a pinned command.
APT_REFRESH = timedelta(days=1)

#: The step options the one-call shorthands (``hm.go.test(label=...)``) hand to the action;
#: every other keyword configures the toolchain.
SHORTHAND_STEP_OPTIONS = frozenset({"cache", "env", "label", "key"})


def apt_install(packages: Iterable[str]) -> str:
    """The shell command that installs ``packages`` with apt, indexes refreshed first."""
    return f"apt-get update && apt-get install -y {' '.join(packages)}"


def apt_base(
    *, packages: tuple[str, ...], image: str | None = None, label: str = ":apt: base"
) -> Step:
    """
    Return a root step installing apt ``packages``, to pass as ``base=`` to toolchains.

    Several toolchains given the same base share one apt step instead of each starting
    its own chain. The step is cached for a day.

    :param packages: the Debian package names.
    :param image: the image the chain starts from.
    :param label: what the UI shows.
    """
    return scratch().sh(
        apt_install(packages), label=label, image=image, cache=CacheTTL(duration=APT_REFRESH)
    )


def install_chain(
    *,
    tag: str,
    packages: tuple[str, ...],
    install: str,
    install_label: str,
    install_cache: CachePolicy,
    image: str | None,
    base: Step | None,
) -> Step:
    """
    Return the step that installs a toolchain, after its apt base or after ``base``.

    :param tag: the toolchain's label prefix, as in ``:rust: rustup``.
    :param packages: what apt installs first; ignored with ``base``, which must provide them.
    :param install: the command that installs the toolchain itself.
    :param install_label: the install step's label, after the tag.
    :param image: the image the apt base starts from; ignored with ``base``.
    """
    parent = (
        scratch().sh(
            apt_install(packages),
            label=f":{tag}: apt-base",
            image=image,
            cache=CacheTTL(duration=APT_REFRESH),
        )
        if base is None
        else base
    )
    return parent.sh(install, label=f":{tag}: {install_label}", cache=install_cache)


def labelled(options: Mapping[str, Any], default: str) -> dict[str, Any]:
    """``options`` with ``label`` set to ``default`` when the caller gave none (or ``None``)."""
    chosen = dict(options)
    if chosen.get("label") is None:
        chosen["label"] = default
    return chosen


class Shorthand:
    """
    A one-call form on a helper's entry object: ``hm.go.test(version="1.22", label="unit")``
    makes a toolchain from the keywords that configure it and returns its ``test`` leaf.

    Keywords in ``leaf_options`` go to the leaf (by default the step options ``label``,
    ``cache``, ``env`` and ``key``), every other keyword to the entry; positional arguments
    go to the leaf (``hm.elixir.mix("docs")``).
    """

    def __init__(
        self,
        action: str,
        *,
        leaf_options: frozenset[str] = SHORTHAND_STEP_OPTIONS,
        defaults: Mapping[str, Any] | None = None,
        keep_leaf_options: bool = True,
    ) -> None:
        """
        :param action: the method of the made toolchain or project that gives the leaf.
        :param defaults: entry keywords the shorthand sets unless given (``path="."``).
        :param keep_leaf_options: ``False`` where the leaf is a step the entry made
            itself, which leaf options cannot change (``hm.cmake.build``): they are dropped.
        """
        self._action = action
        self._leaf_options = leaf_options
        self._defaults = dict(defaults or {})
        self._keep_leaf_options = keep_leaf_options
        self.__doc__ = (
            f"Make a one-off toolchain from the keywords that configure it, and return its "
            f"``{action}`` leaf; {', '.join(sorted(leaf_options))} go to the leaf."
        )

    def __get__(self, entry: Any, owner: type | None = None) -> Callable[..., Step]:
        def one_call(*args: Any, **options: Any) -> Step:
            chosen = {**self._defaults, **options}
            made = entry(**{k: v for k, v in chosen.items() if k not in self._leaf_options})
            leaf = {k: v for k, v in chosen.items() if k in self._leaf_options}
            method = getattr(made, self._action)
            step: Step = method(*args, **leaf) if self._keep_leaf_options else method(*args)
            return step

        one_call.__doc__ = self.__doc__
        return one_call


def check_version(helper: str, what: str, value: object, pattern: str, example: str) -> str:
    """
    Return ``value`` when it is a version string matching ``pattern``.

    :raises TypeError: when ``value`` is not a string.
    :raises ValueError: naming the helper, the bad value and an example of a good one.
    """
    if not isinstance(value, str):
        raise TypeError(f"{helper}: {what} must be a string like {example}, got {value!r}")
    if re.fullmatch(pattern, value) is None:
        raise ValueError(f"{helper}: invalid {what} {value!r}; write one like {example}")
    return value
