"""The archive store: ids, slicing at every edge, unknown ids, and concurrent use."""

from __future__ import annotations

import threading
import uuid

import pytest

from harmont import UsageError
from harmont._orchestrator import ArchiveStore

DATA = bytes(range(256)) * 4  # 1024 distinct-ish bytes


@pytest.fixture
def store() -> ArchiveStore:
    """An empty store."""
    return ArchiveStore()


class TestRegister:
    def test_ids_are_fresh(self, store: ArchiveStore) -> None:
        """Registering the same bytes twice gives two ids, each serving the bytes."""
        first, second = store.register(DATA), store.register(DATA)

        assert first != second
        assert (store.get(first), store.get(second)) == (DATA, DATA)

    def test_total_size(self, store: ArchiveStore) -> None:
        """total_size is the byte length of the registered archive."""
        assert len(DATA) == store.total_size(store.register(DATA))

    def test_registered_bytes_are_a_snapshot(self, store: ArchiveStore) -> None:
        """Mutating the buffer that was registered does not change the archive."""
        buffer = bytearray(b"abc")
        archive_id = store.register(bytes(buffer))
        buffer[0] = ord("z")

        assert b"abc" == store.get(archive_id)


class TestRead:
    @pytest.mark.parametrize(
        ("offset", "max_", "expected"),
        [
            (0, 10, DATA[:10]),
            (1000, 10, DATA[1000:1010]),
            (1020, 10, DATA[1020:]),  # runs past the end: truncated
            (0, 5000, DATA),  # more than the whole archive
            (1023, 1, DATA[1023:]),  # the last byte
            (1024, 10, b""),  # offset == size
            (5000, 10, b""),  # offset past the end
            (10, 0, b""),  # max == 0
        ],
    )
    def test_slices(self, store: ArchiveStore, offset: int, max_: int, expected: bytes) -> None:
        """A read returns the slice [offset, offset + max), clipped to the archive."""
        assert expected == store.read(store.register(DATA), offset, max_)

    def test_chunked_reads_reassemble_the_archive(self, store: ArchiveStore) -> None:
        """Fixed-size reads until an empty one, as the docker executor does, yield every byte."""
        archive_id = store.register(DATA)
        chunks, offset = [], 0
        while chunk := store.read(archive_id, offset, 100):
            chunks.append(chunk)
            offset += len(chunk)

        assert (DATA, 11) == (b"".join(chunks), len(chunks))

    def test_empty_archive(self, store: ArchiveStore) -> None:
        """An empty archive has size 0 and reads as empty."""
        archive_id = store.register(b"")

        assert (0, b"") == (store.total_size(archive_id), store.read(archive_id, 0, 10))

    @pytest.mark.parametrize(("offset", "max_"), [(-1, 10), (0, -1)])
    def test_negative_arguments_are_refused(
        self, store: ArchiveStore, offset: int, max_: int
    ) -> None:
        """A negative offset or max is a usage error naming both values."""
        archive_id = store.register(DATA)

        with pytest.raises(UsageError) as info:
            store.read(archive_id, offset, max_)

        assert f"archive {archive_id}: offset and max must be >= 0 (got {offset}, {max_})" == str(
            info.value
        )


class TestUnknown:
    def test_unknown_id_reads_empty(self, store: ArchiveStore) -> None:
        """An id never registered has size 0 and reads as empty."""
        unknown = uuid.uuid4()
        store.register(DATA)

        assert (0, b"") == (store.total_size(unknown), store.read(unknown, 0, 10))

    def test_get_of_unknown_id_raises(self, store: ArchiveStore) -> None:
        """get of an id never registered raises LookupError naming the id."""
        unknown = uuid.uuid4()

        with pytest.raises(LookupError, match=f"archive {unknown} is not registered"):
            store.get(unknown)

    def test_discarded_archive_is_unknown(self, store: ArchiveStore) -> None:
        """After discard an archive reads as unknown; discarding twice is harmless."""
        archive_id = store.register(DATA)

        store.discard(archive_id)
        store.discard(archive_id)

        assert (0, b"") == (store.total_size(archive_id), store.read(archive_id, 0, 1))


def test_concurrent_register_and_read(store: ArchiveStore) -> None:
    """Eight threads registering and reading back at once each get their own bytes."""
    results: dict[int, bytes] = {}

    def worker(n: int) -> None:
        payloads = [bytes([n]) * (i + 1) for i in range(100)]
        ids = [store.register(p) for p in payloads]
        results[n] = b"".join(store.read(i, 0, 1000) for i in ids)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {n: bytes([n]) * sum(range(1, 101)) for n in range(8)} == results
