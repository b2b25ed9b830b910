"""
The orchestrator: what ``hm run`` does between loading a plan and reporting its outcome.

It packs the source once per run (:func:`pack_source`), serves it to executors through the
:class:`ArchiveStore`, and schedules the plan's chains.

The names below are served lazily: executor plugins import small modules of this package
(the cache tags, the exit codes) at plugin load, which ``hm --help`` pays for, and must not
drag in source packing (its gitignore matcher, tarfile) with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from harmont._lazy import lazy_getattr

if TYPE_CHECKING:
    from harmont._orchestrator._archive import ArchiveStore as ArchiveStore
    from harmont._orchestrator._source import EXCLUDED_NAMES as EXCLUDED_NAMES
    from harmont._orchestrator._source import pack_source as pack_source
    from harmont._orchestrator._source import unpack_source as unpack_source

__all__ = ["EXCLUDED_NAMES", "ArchiveStore", "pack_source", "unpack_source"]

_LAZY: Final = {
    "ArchiveStore": "harmont._orchestrator._archive",
    "EXCLUDED_NAMES": "harmont._orchestrator._source",
    "pack_source": "harmont._orchestrator._source",
    "unpack_source": "harmont._orchestrator._source",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
