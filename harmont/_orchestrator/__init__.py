"""
The orchestrator: what ``hm run`` does between loading a plan and reporting its outcome.

It packs the source once per run (:func:`pack_source`), serves it to executors through the
:class:`ArchiveStore`, and schedules the plan's chains.
"""

from __future__ import annotations

from harmont._orchestrator._archive import ArchiveStore as ArchiveStore
from harmont._orchestrator._source import EXCLUDED_NAMES as EXCLUDED_NAMES
from harmont._orchestrator._source import pack_source as pack_source
from harmont._orchestrator._source import unpack_source as unpack_source

__all__ = ["EXCLUDED_NAMES", "ArchiveStore", "pack_source", "unpack_source"]
