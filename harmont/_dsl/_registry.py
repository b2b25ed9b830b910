"""
The registry of ``@hm.pipeline`` functions and ``@hm.target`` building blocks.

Decorators record into the *current* registry, held in a context variable: a program
imported by ``hm`` fills the process's default one, while a test or a loader that needs a
clean slate runs inside :func:`isolated_registry` and never has to undo anything.

Parameters of targets and pipelines are resolved like pytest fixtures: ``Target[T]``
parameters get the target of the same name, ``BaseImage`` parameters an empty root in that
image, other parameters their default. Each target runs at most once per render.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import attrs

from harmont._dsl._markers import BaseImageMarker, TargetMarker, marker_of
from harmont._dsl._step import Step
from harmont._dsl._triggers import Trigger

if TYPE_CHECKING:
    import inspect


__all__ = [
    "PipelineRegistration",
    "PipelineRegistry",
    "check_signature",
    "current_registry",
    "isolated_registry",
]


@attrs.frozen(kw_only=True)
class PipelineRegistration:
    """One ``@hm.pipeline`` function and the options it was declared with."""

    slug: str
    name: str
    triggers: tuple[Trigger, ...]
    allow_manual: bool
    env: dict[str, str] | None
    #: The whole-build budget, already parsed.
    timeout_seconds: int | None
    #: Calls the decorated function with its parameters resolved.
    fn: Callable[[], Any]


class PipelineRegistry:
    """Pipelines in declaration order, targets by name, and the per-render target results."""

    def __init__(self) -> None:
        self._pipelines: list[PipelineRegistration] = []
        self._targets: dict[str, Callable[[], Any]] = {}
        self._results: dict[str, Any] = {}
        self._resolving: list[Callable[..., Any]] = []

    @property
    def pipelines(self) -> tuple[PipelineRegistration, ...]:
        """The registered pipelines, in the order they were declared."""
        return tuple(self._pipelines)

    def add_pipeline(self, registration: PipelineRegistration) -> None:
        """:raises ValueError: when the slug is already registered."""
        if any(known.slug == registration.slug for known in self._pipelines):
            raise ValueError(
                f"duplicate pipeline slug {registration.slug!r}: every @hm.pipeline needs its "
                "own slug"
            )
        self._pipelines.append(registration)

    def add_target(self, name: str, fn: Callable[[], Any]) -> None:
        """:raises ValueError: when a target of that name exists already."""
        if name in self._targets:
            raise ValueError(
                f"duplicate target name {name!r}: pass @hm.target(name=...) to tell them apart"
            )
        self._targets[name] = fn

    def target_result(self, name: str, fn: Callable[..., Any]) -> Any:
        """Call target ``fn`` once per render, whatever asks for it, and share its result."""
        if name not in self._results:
            self._results[name] = self.call(fn)
        return self._results[name]

    def start_render(self) -> None:
        """Forget target results, so each render builds its steps afresh."""
        self._results.clear()

    def call(self, fn: Callable[..., Any]) -> Any:
        """
        Call ``fn`` with its parameters resolved.

        :raises RuntimeError: when ``fn`` depends on itself, through any number of targets.
        :raises TypeError: for a parameter that cannot be resolved.
        """
        if any(active is fn for active in self._resolving):
            cycle = " -> ".join(active.__name__ for active in [*self._resolving, fn])
            raise RuntimeError(f"dependency cycle between targets: {cycle}")
        self._resolving.append(fn)
        try:
            return fn(**self._arguments(fn))
        finally:
            self._resolving.pop()

    def _arguments(self, fn: Callable[..., Any]) -> dict[str, Any]:
        import inspect

        hints = _type_hints(fn)
        arguments: dict[str, Any] = {}
        for parameter in inspect.signature(fn).parameters.values():
            _check_kind(parameter)
            marker = marker_of(hints.get(parameter.name))
            if isinstance(marker, TargetMarker):
                target = self._targets.get(parameter.name)
                if target is None:
                    raise TypeError(
                        f"target {parameter.name!r} not found: declare it with @hm.target() "
                        "or rename the parameter after an existing target"
                    )
                arguments[parameter.name] = target()
            elif isinstance(marker, BaseImageMarker):
                arguments[parameter.name] = Step(image=marker.image)
            elif parameter.default is not parameter.empty:
                arguments[parameter.name] = parameter.default
            else:
                raise _unresolvable(parameter)
        return arguments


def check_signature(fn: Callable[..., Any]) -> None:
    """
    Check at decoration time that every parameter of ``fn`` can be resolved.

    :raises TypeError: for ``*args``, ``**kwargs``, positional-only parameters, and
        parameters with neither a marker nor a default.
    """
    import inspect

    hints = _type_hints(fn)
    for parameter in inspect.signature(fn).parameters.values():
        _check_kind(parameter)
        if marker_of(hints.get(parameter.name)) is None and parameter.default is parameter.empty:
            raise _unresolvable(parameter)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The evaluated annotations of ``fn``, or the raw ones when some name does not resolve."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        return dict(getattr(fn, "__annotations__", {}))


def _check_kind(parameter: inspect.Parameter) -> None:
    """Parameters are resolved by name, so each must be one that can be passed by name."""
    if parameter.kind is parameter.VAR_POSITIONAL:
        raise TypeError(
            f"target and pipeline functions cannot take *{parameter.name}: declare each "
            "dependency as a named parameter"
        )
    if parameter.kind is parameter.VAR_KEYWORD:
        raise TypeError(
            f"target and pipeline functions cannot take **{parameter.name}: declare each "
            "dependency as a named parameter"
        )
    if parameter.kind is parameter.POSITIONAL_ONLY:
        raise TypeError(
            f"parameter {parameter.name!r} is positional-only, but dependencies are passed by "
            "name: remove the '/'"
        )


def _unresolvable(parameter: inspect.Parameter) -> TypeError:
    return TypeError(
        f"parameter {parameter.name!r} has no marker and no default: annotate it "
        "hm.Target[T] or Annotated[hm.Step, hm.BaseImage('...')], or give it a default"
    )


_DEFAULT = PipelineRegistry()
_CURRENT: ContextVar[PipelineRegistry] = ContextVar("harmont_registry", default=_DEFAULT)


def current_registry() -> PipelineRegistry:
    """The registry decorators record into and ``dump_registry_json`` renders by default."""
    return _CURRENT.get()


@contextlib.contextmanager
def isolated_registry() -> Iterator[PipelineRegistry]:
    """Make a fresh, empty registry current for the ``with`` block, and yield it."""
    token = _CURRENT.set(PipelineRegistry())
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)
