"""
``hm.pipeline`` (the list factory and the decorator, told apart by the first argument) and
``hm.target``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, overload

from harmont._dsl._duration import parse_duration
from harmont._dsl._graph import build_ir
from harmont._dsl._registry import PipelineRegistration, check_signature, current_registry
from harmont._dsl._step import Step
from harmont._dsl._triggers import Trigger

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = ["pipeline", "target"]

_SLUG = re.compile(r"[a-z][a-z0-9-]{0,63}")

_Decorator: TypeAlias = Callable[[Callable[..., Any]], Callable[[], Any]]


@overload
def pipeline(
    leaves: Sequence[Step],
    /,
    *,
    env: Mapping[str, str] | None = None,
    timeout: str | int | timedelta | None = None,
) -> dict[str, Any]: ...


@overload
def pipeline(
    slug: str | None = None,
    /,
    *,
    name: str | None = None,
    triggers: Iterable[Trigger] = (),
    allow_manual: bool = True,
    env: dict[str, str] | None = None,
    timeout: str | int | timedelta | None = None,
) -> _Decorator: ...


def pipeline(*args: Any, **kwargs: Any) -> Any:
    """
    Build a pipeline's IR from its leaves, or register a function as a pipeline.

    ``hm.pipeline([build, test], env=..., timeout=...)`` returns the IR document (a dict)
    of the pipeline ending in those steps. ``@hm.pipeline("slug", name=..., triggers=...,
    allow_manual=..., env=..., timeout=...)`` registers the decorated function, which
    returns its leaves, under ``slug`` (default: the function's name).

    :raises TypeError: for steps given one by one instead of in a list, or for the
        decorator written without parentheses.
    """
    factory = bool(args) and isinstance(args[0], list | tuple)
    _check_options(kwargs, _FACTORY_OPTIONS if factory else _DECORATOR_OPTIONS)
    if factory:
        if len(args) > 1:
            raise TypeError(
                f"hm.pipeline takes one list of leaves, got {len(args)} positional arguments"
            )
        return build_ir(args[0], **kwargs)
    if args and all(isinstance(arg, Step) for arg in args):
        raise TypeError(
            f"hm.pipeline takes one list of leaves, got {len(args)} steps as separate "
            "arguments: write hm.pipeline([a, b])"
        )
    if args and callable(args[0]):
        raise TypeError(
            "@hm.pipeline needs parentheses: write @hm.pipeline() or @hm.pipeline('slug')"
        )
    return _register(*args, **kwargs)


_FACTORY_OPTIONS = ("env", "timeout")
_DECORATOR_OPTIONS = ("slug", "name", "triggers", "allow_manual", "env", "timeout")


def _check_options(given: Mapping[str, Any], known: tuple[str, ...]) -> None:
    """:raises TypeError: naming hm.pipeline and what to write instead of an unknown option."""
    for option in given:
        if option == "default_image":
            raise TypeError(
                "hm.pipeline takes no default_image=: set the image where a chain starts, "
                "hm.sh('make', image='rust:1.80'), or take a parameter "
                "root: Annotated[hm.Step, hm.BaseImage('rust:1.80')] and chain from root.sh(...)"
            )
        if option not in known:
            raise TypeError(
                f"hm.pipeline got an unknown option {option}=: it takes "
                + ", ".join(f"{name}=" for name in known)
            )


def _register(
    slug: str | None = None,
    *,
    name: str | None = None,
    triggers: Iterable[Trigger] = (),
    allow_manual: bool = True,
    env: dict[str, str] | None = None,
    timeout: str | int | timedelta | None = None,
) -> _Decorator:
    def decorator(fn: Callable[..., Any]) -> Callable[[], Any]:
        check_signature(fn)
        resolved = _slug(fn.__name__ if slug is None else slug)
        budget = None if timeout is None else parse_duration(timeout)
        chosen = _triggers(triggers)
        registry = current_registry()

        @functools.wraps(fn)
        def resolved_call() -> Any:
            return registry.call(fn)

        registry.add_pipeline(
            PipelineRegistration(
                slug=resolved,
                name=resolved if name is None else name,
                triggers=chosen,
                allow_manual=allow_manual,
                env=env,
                timeout_seconds=budget,
                fn=resolved_call,
            )
        )
        return resolved_call

    return decorator


def _slug(slug: object) -> str:
    """:raises TypeError, ValueError: for a slug that is no string, or not a valid one."""
    if not isinstance(slug, str):
        raise TypeError(f"a pipeline slug must be a string, got {slug!r}")
    if not _SLUG.fullmatch(slug):
        raise ValueError(
            f"invalid pipeline slug {slug!r}: use lowercase letters, digits and '-', "
            "starting with a letter, at most 64 characters"
        )
    return slug


def _triggers(triggers: Iterable[Trigger]) -> tuple[Trigger, ...]:
    """The triggers as a tuple; each must render itself with ``to_dict()``."""
    if isinstance(triggers, Trigger) or not isinstance(triggers, Iterable):
        raise TypeError(f"triggers must be a list of triggers, got {triggers!r}")
    chosen = tuple(triggers)
    for trigger in chosen:
        if not callable(getattr(trigger, "to_dict", None)):
            raise TypeError(
                f"triggers must be hm.push(...) or hm.pull_request(...) triggers, got {trigger!r}"
            )
    return chosen


def target(fn: object = None, /, *, name: str | None = None) -> _Decorator:
    """
    Register a function as a target: a building block run at most once per render.

    Its parameters, and those of pipeline functions, are resolved by name: a parameter
    annotated ``hm.Target[T]`` receives the target of that name.

    :param name: the name other functions ask for it by; default the function's name.
    :raises TypeError: for the decorator written without parentheses.
    """
    if fn is not None:
        raise TypeError("@hm.target needs parentheses: write @hm.target()")

    def decorator(fn: Callable[..., Any]) -> Callable[[], Any]:
        check_signature(fn)
        target_name = fn.__name__ if name is None else name
        registry = current_registry()

        @functools.wraps(fn)
        def shared_result() -> Any:
            return registry.target_result(target_name, fn)

        registry.add_target(target_name, shared_result)
        return shared_result

    return decorator
