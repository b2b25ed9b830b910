"""
Package attributes loaded on first use (PEP 562), written once for every package that
serves some.

``hm --help`` and ``hm --version`` import the packages whose fronts name heavy modules (the
DSL, the codecs, source packing); serving those names lazily keeps the price off every
caller that does not touch them. A package builds its module ``__getattr__`` here from a
table of public name to defining module, and lists the same names under ``TYPE_CHECKING``
for type checkers and readers.
"""

from __future__ import annotations

import importlib

# Not `typing.TYPE_CHECKING`: `import harmont` stays free of typing's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """
    A module ``__getattr__`` for *package* that imports each name of *table* from its module.

    Each access imports (or finds in ``sys.modules``) the defining module; the value is not
    stored on the package, so a name always reads what its module holds.
    """

    def lookup(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return lookup
