"""
The discovery envelope (docs/ir.md) and the rules for choosing one pipeline from it.

``{"schema_version": "1", "pipelines": [{"slug", "name", "allow_manual", "triggers",
"definition"}, ...]}`` is what importing a repo's pipeline files produces; each
``definition`` is a graph-form document.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._errors import UnknownPipeline
from harmont._ir._json import Fields, check_value, describe
from harmont.protocol import Value

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SLUG_PATTERN", "Entry", "choose_slug", "envelope_entries", "is_envelope"]

#: What a pipeline slug looks like (the DSL's ``@hm.pipeline`` enforces the same).
SLUG_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]{0,63}")

#: Where to tell the user to add a pipeline, when a repo declares none.
_ENVELOPE_FIELDS: Final = frozenset({"schema_version", "pipelines"})
_REGISTRATION_FIELDS: Final = frozenset({"slug", "name", "allow_manual", "triggers", "definition"})
_ADD_ONE: Final = 'add @hm.pipeline("slug") to a function in .harmont/pipeline.py'


def is_envelope(data: object) -> bool:
    """Whether ``data`` looks like an envelope rather than a single pipeline document."""
    return isinstance(data, dict) and "schema_version" in data


@attrs.frozen(kw_only=True)
class Entry:
    """One registration of an envelope: its own fields checked, its definition not yet."""

    slug: str
    name: str
    allow_manual: bool
    triggers: tuple[Value, ...]
    #: The ``definition`` as JSON data.
    definition: Any
    #: Where to say an error in the definition is: ``pipeline 'slug'``.
    where: str


def _entry(fields: Fields, slug: str) -> Entry:
    triggers = fields.array("triggers")
    for index, trigger in enumerate(triggers):
        if not isinstance(trigger, dict):
            raise fields.fail(f"triggers[{index}] must be an object, got {describe(trigger)}")
        check_value(trigger, where=fields.where, name=f"triggers[{index}]")
    return Entry(
        slug=slug,
        name=fields.string("name") or slug,
        allow_manual=fields.boolean("allow_manual", default=True),
        triggers=tuple(triggers),
        definition=fields.required("definition", "the pipeline's IR document"),
        where=fields.where,
    )


def envelope_entries(document: Fields) -> list[Entry]:
    """Check an envelope's own fields and return its registrations in order."""
    document.known(_ENVELOPE_FIELDS)
    version = document.raw("schema_version")
    if version != "1":
        raise document.fail(
            f'unsupported envelope schema_version {describe(version)}: this hm reads "1"'
        )
    entries: list[Entry] = []
    first: dict[str, int] = {}
    for index, raw in enumerate(document.array("pipelines", required=True)):
        fields = Fields(raw, where=f"pipelines[{index}]")
        fields.known(_REGISTRATION_FIELDS)
        slug = fields.name("slug")
        if not SLUG_PATTERN.fullmatch(slug):
            raise fields.fail(
                f"invalid slug {slug!r}: use lowercase letters, digits and '-', "
                "start with a letter, at most 64 characters"
            )
        if slug in first:
            raise fields.fail(
                f"duplicate slug {slug!r}, already used by pipelines[{first[slug]}]; "
                "give every pipeline a unique slug"
            )
        first[slug] = index
        fields.where = f"pipeline {slug!r}"
        entries.append(_entry(fields, slug))
    return entries


def choose_slug(
    slugs: Sequence[str],
    wanted: str | None,
    *,
    source: str = "this repo",
    how: str = "as the first argument",
) -> str:
    """
    Pick the pipeline to use (docs/ir.md, Discovery).

    The one named by ``wanted``; else the only one there is; else an error that lists them.

    :param source: what declares the pipelines, for messages (``this repo``, a file).
    :param how: how the user passes a slug, for messages.
    :raises UnknownPipeline: for an unknown slug, no pipeline at all, or an ambiguous choice.
    """
    listed = ", ".join(slugs)
    if wanted is not None:
        if wanted in slugs:
            return wanted
        raise UnknownPipeline(
            f"pipeline {wanted!r} not found",
            hint=f"available: {listed}" if slugs else _ADD_ONE,
        )
    if len(slugs) == 1:
        return slugs[0]
    if not slugs:
        raise UnknownPipeline(f"no pipelines declared in {source}", hint=_ADD_ONE)
    raise UnknownPipeline(f"{source} declares pipelines: {listed} — pass one {how}")
