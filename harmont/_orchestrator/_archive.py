"""
The per-run archive store: packed source trees served to executors by id (docs/native-abi.md).

The orchestrator packs the working tree once per run and registers the bytes here; the
host API's ``archive_read``/``archive_total_size`` read them back in slices, which is all a
native plugin can do across the C ABI.
"""

from __future__ import annotations

import threading
import uuid
from typing import final

from harmont._errors import UsageError

__all__ = ["ArchiveStore"]


@final
class ArchiveStore:
    """
    Archive bytes by :class:`uuid.UUID`, held in memory for the life of a run.

    Thread-safe: executors of parallel chains read while the orchestrator registers.
    Unknown ids read as empty, as the host API specifies, so a plugin never sees an error
    for an id it was not given.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._archives: dict[uuid.UUID, bytes] = {}

    def register(self, data: bytes) -> uuid.UUID:
        """Keep *data* under a fresh id and return the id."""
        archive_id = uuid.uuid4()
        with self._lock:
            self._archives[archive_id] = bytes(data)
        return archive_id

    def read(self, archive_id: uuid.UUID, offset: int, max: int) -> bytes:
        """
        At most *max* bytes starting at *offset*.

        :returns: an empty string when *offset* is at or past the end, or the id is unknown.
        """
        if offset < 0 or max < 0:
            raise UsageError(
                f"archive {archive_id}: offset and max must be >= 0 (got {offset}, {max})"
            )
        with self._lock:
            data = self._archives.get(archive_id, b"")
        return data[offset : offset + max]

    def total_size(self, archive_id: uuid.UUID) -> int:
        """The archive's length in bytes, 0 for an unknown id."""
        with self._lock:
            return len(self._archives.get(archive_id, b""))

    def get(self, archive_id: uuid.UUID) -> bytes:
        """
        The whole archive, for in-process executors that need no slicing.

        :raises LookupError: the id was never registered (or was discarded): a host bug.
        """
        with self._lock:
            try:
                return self._archives[archive_id]
            except KeyError:
                raise LookupError(f"archive {archive_id} is not registered") from None

    def discard(self, archive_id: uuid.UUID) -> None:
        """Free an archive once its run is over; unknown ids are ignored."""
        with self._lock:
            self._archives.pop(archive_id, None)
