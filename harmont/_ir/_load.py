"""
Loading IR documents: any of the three forms, from data, JSON text or a file.

Every entry point validates fully; what it returns is a :class:`PipelineIR` a planner can
trust (unique keys, no dangling reference, no cycle).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeAlias

from harmont._errors import UsageError
from harmont._ir._envelope import choose_slug, envelope_entries, is_envelope
from harmont._ir._flat import parse_flat
from harmont._ir._graph import parse_graph
from harmont._ir._json import Fields, check_document, located, read_source
from harmont._ir._model import Definition, PipelineIR, Registration
from harmont._ir._steps import expect_version

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

__all__ = [
    "IRSource",
    "dump_definition",
    "load_definition",
    "load_envelope",
    "load_ir",
    "parse_pipeline",
    "select_definition",
]

#: What the loaders accept: JSON data, JSON text (``str``/``bytes``), or a file path.
IRSource: TypeAlias = "Mapping[str, Any] | str | bytes | os.PathLike[str]"


def parse_pipeline(data: object) -> PipelineIR:
    """
    Validate one pipeline document (graph or flat form, told apart by its fields) and
    return the model.

    :raises InvalidIR: naming what is wrong, where, and how to fix it.
    """
    check_document(data)
    document = Fields(data, where="")
    expect_version(document)
    has_graph, has_steps = "graph" in document, "steps" in document
    if has_graph and has_steps:
        raise document.fail(
            "the document has both 'graph' (graph form) and 'steps' (flat form); keep one"
        )
    if has_graph:
        return parse_graph(document)
    if has_steps:
        return parse_flat(document)
    raise document.fail(
        "missing 'graph' or 'steps': add 'graph' (graph form) or 'steps' (flat form)"
    )


def dump_definition(data: object) -> str:
    """Serialise a definition as the DSL's ``pipeline_to_json`` does, so output round-trips."""
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))


def select_definition(
    data: object,
    slug: str | None = None,
    *,
    source: str = "the envelope",
    how: str = "with --slug",
) -> Definition:
    """
    Return the definition in ``data``: the document itself, or one pipeline of an envelope.

    For an envelope, ``slug`` picks the pipeline by the rules of docs/ir.md (Discovery)
    (:func:`choose_slug`); ``source`` and ``how`` word its messages.

    :raises UsageError: if a slug is given for a document that is not an envelope.
    """
    if not is_envelope(data):
        if slug is not None:
            raise UsageError(
                f"a slug ({slug!r}) picks a pipeline of an envelope, but this document is "
                "a single pipeline",
                hint="drop the slug",
            )
        return Definition(slug=None, ir=parse_pipeline(data), text=dump_definition(data))
    check_document(data)
    entries = envelope_entries(Fields(data, where=""))
    chosen = choose_slug([entry.slug for entry in entries], slug, source=source, how=how)
    entry = next(entry for entry in entries if entry.slug == chosen)
    with located(entry.where):
        ir = parse_pipeline(entry.definition)
    return Definition(slug=chosen, ir=ir, text=dump_definition(entry.definition))


def load_definition(
    source: IRSource, *, slug: str | None = None, origin: str | None = None
) -> Definition:
    """
    Load and validate one pipeline definition, keeping its JSON text for printing.

    :param source: JSON data, JSON text, or an ``os.PathLike`` naming a JSON file.
    :param slug: the pipeline to pick when ``source`` is an envelope.
    :param origin: what to call the source in errors (default: the file path, if any).
    """
    data, origin = read_source(source, origin=origin)
    with located(origin):
        return select_definition(
            data, slug, source=f"envelope {origin}" if origin else "the envelope"
        )


def load_ir(source: IRSource, *, slug: str | None = None) -> PipelineIR:
    """
    Load and validate one pipeline: a graph-form or flat-form document, or an envelope.

    :param source: JSON data, JSON text (``str``/``bytes``), or an ``os.PathLike`` naming a
        JSON file.
    :param slug: the pipeline to pick when ``source`` is an envelope; may be omitted when
        the envelope has exactly one.
    :raises InvalidIR: the document is malformed (the message says where and how to fix it).
    :raises UnknownPipeline: ``slug`` names no pipeline of the envelope, or none was given
        and the envelope has several or none.
    """
    return load_definition(source, slug=slug).ir


def load_envelope(source: IRSource, *, origin: str | None = None) -> tuple[Registration, ...]:
    """Load and validate a discovery envelope, every pipeline in it included."""
    data, origin = read_source(source, origin=origin)
    with located(origin):
        check_document(data)
        document = Fields(data, where="")
        if not is_envelope(data):
            raise document.fail(
                'not an envelope: expected {"schema_version": "1", "pipelines": [...]}'
            )
        registrations = []
        for entry in envelope_entries(document):
            with located(entry.where):
                definition = parse_pipeline(entry.definition)
            registrations.append(
                Registration(
                    slug=entry.slug,
                    name=entry.name,
                    allow_manual=entry.allow_manual,
                    triggers=entry.triggers,
                    definition=definition,
                )
            )
        return tuple(registrations)
