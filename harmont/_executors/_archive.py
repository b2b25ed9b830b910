"""Reading a run's source archive through the host API, as every executor must."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import uuid

    from harmont._plugins._context import PluginContext

__all__ = ["CHUNK_BYTES", "read_archive"]

#: Bytes asked for per ``archive_read`` call.
CHUNK_BYTES: Final = 1 << 20


def read_archive(context: PluginContext, archive_id: uuid.UUID) -> bytes:
    """
    The whole archive *archive_id*, read in :data:`CHUNK_BYTES` slices.

    Stops early at an empty slice, so an archive that shrank (or an unknown id, which
    reads as empty) never loops.
    """
    total = context.archive_total_size(archive_id)
    chunks: list[bytes] = []
    offset = 0
    while offset < total:
        chunk = context.archive_read(archive_id, offset, CHUNK_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
