"""
Annotations that say where a target's or pipeline's parameter gets its value.

``Target[T]`` asks for the target named like the parameter; ``Annotated[hm.Step,
hm.BaseImage("img")]`` asks for an empty root whose first command runs in ``img``. Both are
PEP 593 metadata, so type checkers see the plain ``T`` / ``Step``.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Final, TypeVar

__all__ = ["BaseImage", "BaseImageMarker", "Target", "TargetMarker", "marker_of"]

T = TypeVar("T")


@typing.final
class TargetMarker:
    """The metadata of ``Target[T]``; there is one instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "hm.Target"


TARGET: Final = TargetMarker()

#: ``Target[T]``: the parameter receives the target of the same name, typed ``T``.
Target = Annotated[T, TARGET]


@typing.final
class BaseImageMarker:
    """The metadata of ``BaseImage(image)``."""

    __slots__ = ("image",)

    def __init__(self, image: str) -> None:
        self.image = image

    def __repr__(self) -> str:
        return f"hm.BaseImage({self.image!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BaseImageMarker) and other.image == self.image

    def __hash__(self) -> int:
        return hash((BaseImageMarker, self.image))


def BaseImage(image: str) -> BaseImageMarker:  # noqa: N802 -- reads as a type inside Annotated[...]
    """
    Mark a parameter as an empty root whose first command runs in ``image``.

    Use it as ``Annotated[hm.Step, hm.BaseImage("ubuntu:24.04")]``.

    :raises TypeError: when ``image`` is not a non-empty string.
    """
    if not isinstance(image, str) or not image:
        raise TypeError(f"hm.BaseImage needs a non-empty image name, got {image!r}")
    return BaseImageMarker(image)


def marker_of(annotation: Any) -> TargetMarker | BaseImageMarker | None:
    """The first harmont marker in the metadata of an ``Annotated`` annotation, if any."""
    if typing.get_origin(annotation) is None:
        return None
    for metadata in typing.get_args(annotation)[1:]:
        if isinstance(metadata, TargetMarker | BaseImageMarker):
            return metadata
    return None
