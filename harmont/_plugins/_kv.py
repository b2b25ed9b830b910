"""
The key-value stores behind ``kv_get``/``kv_set`` (docs/plugins.md, Key-value scopes).

Plugin scope is persistent: one sqlite database per plugin under the state directory, so
isolation between plugins is physical (a plugin's keys live in a file no other plugin's
calls ever open) and ``hm plugin remove`` can drop a plugin's state with one file. Every
write is its own ``BEGIN IMMEDIATE`` transaction in WAL mode: concurrent writers (threads
and processes) queue on sqlite's lock behind a busy timeout instead of failing, and a
process killed mid-write leaves the last committed state, never a torn value.

sqlite's busy handler does not cover every lock: switching a new file to WAL, the
exclusive lock a last connection takes while it removes the WAL on close, and recovery
after a crash answer SQLITE_BUSY at once (sqlite.org/wal.html, "Sometimes Queries Return
SQLITE_BUSY In WAL Mode"). Every operation is therefore retried on SQLITE_BUSY until the
same busy timeout has passed; each is one whole transaction, so a retry repeats nothing
half done.
``synchronous=NORMAL`` keeps that guarantee for a killed process; only a power cut may
lose the latest commits, never corrupt the file.

Build and step scopes live in memory, keyed by the run or step that owns them, and are
dropped when the host ends that run or step.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import urllib.parse
from typing import TYPE_CHECKING, Final, TypeVar

from harmont._errors import PluginRuntimeError

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterator
    from pathlib import Path

__all__ = ["MemoryKv", "SqliteKv"]

_T = TypeVar("_T")

#: How long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_SECONDS: Final = 30.0

#: The longest pause between two attempts of an operation sqlite refused as busy.
_MAX_RETRY_PAUSE_SECONDS: Final = 0.05

#: Bumped when the table layout changes; a newer file is refused, not misread.
_SCHEMA_VERSION: Final = 1


def _as_bytes(plugin: str, value: object) -> bytes:
    # sqlite would store a str as TEXT and hand back a str: refuse it at the door, so a
    # stored value always reads back as the bytes the protocol promises.
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise PluginRuntimeError(
        f"plugin '{plugin}': kv_set value must be bytes (got {type(value).__name__})",
        plugin=plugin,
        capability="kv_set",
    )


def _is_busy(exc: sqlite3.Error) -> bool:
    # The low byte is the primary code: SQLITE_BUSY_RECOVERY and SQLITE_BUSY_SNAPSHOT count.
    return isinstance(exc, sqlite3.OperationalError) and (
        exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    )


def _patiently(operation: Callable[[], _T]) -> _T:
    """
    Run *operation*, again after a short pause while sqlite answers busy without waiting.

    The deadline is the busy timeout, so a lock that sqlite did wait for (and gave up on)
    is not waited for twice.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.001
    while True:
        try:
            return operation()
        except sqlite3.Error as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, _MAX_RETRY_PAUSE_SECONDS)


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One ``BEGIN IMMEDIATE`` transaction, committed on success and rolled back otherwise."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        # Also after a failed COMMIT: the next attempt must not find a transaction open.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


class SqliteKv:
    """
    The persistent plugin scope: ``<directory>/<plugin>.sqlite3``, one file per plugin.

    Thread-safe: each plugin's connection is used under its own lock, and connections are
    opened on first use, so a host that never touches plugin scope creates no file.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._connections: dict[str, tuple[sqlite3.Connection, threading.Lock]] = {}

    def path_for(self, plugin: str) -> Path:
        """Where *plugin*'s keys live; the name is percent-encoded so it stays one file."""
        if not plugin:
            raise PluginRuntimeError("kv store: the plugin name is empty")
        return self._directory / f"{urllib.parse.quote(plugin, safe='')}.sqlite3"

    def get(self, plugin: str, key: str) -> bytes | None:
        """The value stored under *key* for *plugin*, or None."""
        connection, lock = self._connection(plugin)
        with lock, self._translated(plugin):
            row = _patiently(
                lambda: connection.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            )
        return None if row is None else bytes(row[0])

    def set(self, plugin: str, key: str, value: bytes) -> None:
        """Store *value* under *key* for *plugin*, in one committed transaction."""
        data = _as_bytes(plugin, value)
        connection, lock = self._connection(plugin)

        def write() -> None:
            with _transaction(connection):
                connection.execute(
                    "INSERT INTO kv (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, data),
                )

        with lock, self._translated(plugin):
            _patiently(write)

    def close(self) -> None:
        """Close every open connection; a later call opens them again."""
        with self._lock:
            connections, self._connections = self._connections, {}
        for connection, lock in connections.values():
            with lock:
                connection.close()

    def _connection(self, plugin: str) -> tuple[sqlite3.Connection, threading.Lock]:
        with self._lock:
            entry = self._connections.get(plugin)
            if entry is None:
                entry = (self._open(plugin), threading.Lock())
                self._connections[plugin] = entry
            return entry

    def _open(self, plugin: str) -> sqlite3.Connection:
        path = self.path_for(plugin)
        with self._translated(plugin):
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so one write is
            # exactly one transaction and reads never hold a transaction open.
            connection = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                _patiently(lambda: self._prepare(connection))
            except BaseException:
                connection.close()
                raise
        return connection

    @staticmethod
    def _prepare(connection: sqlite3.Connection) -> None:
        # Each statement is safe to repeat, so a busy answer can restart the whole setup.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this harmont's {_SCHEMA_VERSION}"
            )
        if version < _SCHEMA_VERSION:
            # Idempotent, so two processes creating the same file at once both succeed.
            with _transaction(connection):
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
                    " WITHOUT ROWID"
                )
                connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _translated(self, plugin: str) -> _SqliteErrors:
        return _SqliteErrors(plugin, self.path_for(plugin))


class _SqliteErrors:
    """Turns a sqlite or file-system failure into a one-line PluginRuntimeError."""

    def __init__(self, plugin: str, path: Path) -> None:
        self._plugin = plugin
        self._path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.Error | OSError):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise PluginRuntimeError(
                f"plugin '{self._plugin}': kv store {self._path}: {reason}",
                plugin=self._plugin,
                hint="check that the state directory is writable and not on a network share",
            ) from exc


class MemoryKv:
    """
    An in-memory scope: values keyed by (owner, plugin, key), dropped per owner.

    The owner is the run (build scope) or the step (step scope) of the calling context.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[Hashable, dict[tuple[str, str], bytes]] = {}

    def get(self, owner: Hashable, plugin: str, key: str) -> bytes | None:
        """The value *plugin* stored under *key* for *owner*, or None."""
        with self._lock:
            return self._owners.get(owner, {}).get((plugin, key))

    def set(self, owner: Hashable, plugin: str, key: str, value: bytes) -> None:
        """Store *value* under *key* for *plugin* until *owner* is dropped."""
        data = _as_bytes(plugin, value)
        with self._lock:
            self._owners.setdefault(owner, {})[(plugin, key)] = data

    def drop(self, owner: Hashable) -> None:
        """Forget every value stored for *owner*, for every plugin."""
        with self._lock:
            self._owners.pop(owner, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._owners.clear()
