"""
The oracle the compiled JSON encoder is proven against: cattrs' unstructure, with the hooks
the JSON codec registered before the encoder was compiled from the wire schema, then the
same ``json.dumps``.

cattrs builds each class's function from the attrs fields and the annotations, the encoder
from :mod:`harmont.protocol._schema`: two derivations of the shape (tag first, field order,
omitted ``None`` fields, map key order, union dispatch) that must agree. The leaves (an
integer checked against its width, a timestamp, a ``Value``) are the encoder's own
functions, which the codec moved there unchanged; what is proven is everything around them.
"""

from __future__ import annotations

import datetime
import functools
import json
import typing
import uuid
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from harmont.protocol._ir import OMIT_WHEN_NONE
from harmont.protocol._json_encode import TAG, _checked_int, _format_timestamp, _value
from harmont.protocol._scalars import IntWidth
from harmont.protocol._schema import UNIONS, is_value_type, resolve_class

__all__ = ["oracle_to_json"]


def oracle_to_json(obj: object) -> str:
    """``obj`` as the JSON codec wrote it through cattrs."""
    data = _converter().unstructure(obj)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _width(tp: Any) -> IntWidth | None:
    metadata = getattr(tp, "__metadata__", None)
    return metadata[0] if metadata and isinstance(metadata[0], IntWidth) else None


def _is_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_str_dict(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is dict and len(args) == 2 and args[0] is str


@functools.cache
def _converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook_factory(
        lambda tp: _width(tp) is not None, lambda tp: _checked_int(_width(tp))
    )
    conv.register_unstructure_hook(uuid.UUID, str)
    conv.register_unstructure_hook(datetime.datetime, _format_timestamp)
    conv.register_unstructure_hook_func(is_value_type, _value)
    conv.register_unstructure_hook_factory(
        _is_tuple, lambda _: lambda items: [conv.unstructure(item, type(item)) for item in items]
    )
    # BTreeMap: serde writes the keys in order.
    conv.register_unstructure_hook_factory(
        _is_str_dict,
        lambda _: lambda value: {key: conv.unstructure(value[key]) for key in sorted(value)},
    )

    def class_unstructure(cls: type[Any]) -> Any:
        resolve_class(cls)
        overrides = {name: override(omit_if_default=True) for name in OMIT_WHEN_NONE.get(cls, ())}
        inner = make_dict_unstructure_fn(cls, conv, **overrides)
        kind = getattr(cls, "KIND", None)
        return inner if kind is None else lambda obj: {TAG: kind, **inner(obj)}

    conv.register_unstructure_hook_factory(attrs.has, class_unstructure)
    for union in UNIONS:
        conv.register_unstructure_hook(union, lambda obj: conv.unstructure(obj, type(obj)))
    return conv
