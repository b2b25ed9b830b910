"""The key-value scopes: persistence, isolation, lifetimes, safety under concurrency and kills."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from typing import TYPE_CHECKING

import pytest

from harmont import PluginRuntimeError
from harmont._plugins._host import Host
from harmont._plugins._kv import SqliteKv
from harmont.protocol import KvScope

if TYPE_CHECKING:
    from pathlib import Path


def _payload(index: int) -> bytes:
    """4 KiB derived from *index*, so a torn or misplaced value cannot pass for a good one."""
    return hashlib.sha256(str(index).encode()).digest() * 128


def _rows(path: Path) -> dict[str, bytes]:
    with sqlite3.connect(path) as connection:
        return {key: bytes(value) for key, value in connection.execute("SELECT key, value FROM kv")}


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


#: What every writer child starts with: ``kv`` on the state dir of argv[1], and ``payload``.
_PRELUDE = (
    "import hashlib, sqlite3, sys, time\n"
    "from pathlib import Path\n"
    "from harmont._plugins._kv import SqliteKv\n"
    "kv = SqliteKv(Path(sys.argv[1]))\n"
    "def payload(n): return hashlib.sha256(str(n).encode()).digest() * 128\n"
)


def _child(state_dir: Path, body: str, *args: str) -> subprocess.Popen[str]:
    """A python child running ``_PRELUDE + body`` on *state_dir*'s kv directory."""
    return subprocess.Popen(
        [sys.executable, "-c", _PRELUDE + body, str(state_dir / "kv"), *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)

    assert -signal.SIGKILL == child.returncode


class TestPluginScope:
    def test_value_survives_a_new_host(self, state_dir: Path) -> None:
        """A plugin-scope value written by one host is read by the next host on that state dir."""
        with Host(state_dir=state_dir) as first:
            first.context("cloud").kv_set(KvScope.PLUGIN, "org", b"acme")

        with Host.noop(state_dir=state_dir) as second:
            value = second.context("cloud").kv_get(KvScope.PLUGIN, "org")

        assert b"acme" == value

    def test_overwrite_replaces_value(self, host: Host) -> None:
        """Setting a key twice keeps the second value."""
        context = host.context("cloud")
        context.kv_set(KvScope.PLUGIN, "org", b"one")
        context.kv_set(KvScope.PLUGIN, "org", b"two")

        assert b"two" == context.kv_get(KvScope.PLUGIN, "org")

    def test_missing_key_is_none(self, host: Host) -> None:
        """A key never set reads as None."""
        assert host.context("cloud").kv_get(KvScope.PLUGIN, "nothing") is None

    def test_empty_value_is_not_none(self, host: Host) -> None:
        """An empty value reads back as empty bytes, distinct from a missing key."""
        context = host.context("cloud")
        context.kv_set(KvScope.PLUGIN, "empty", b"")

        assert b"" == context.kv_get(KvScope.PLUGIN, "empty")

    def test_one_file_per_plugin(self, host: Host, state_dir: Path) -> None:
        """Each plugin's keys live in its own sqlite file under ``<state>/kv``."""
        host.context("alpha").kv_set(KvScope.PLUGIN, "k", b"a")
        host.context("beta").kv_set(KvScope.PLUGIN, "k", b"b")

        assert [
            "alpha.sqlite3",
            "beta.sqlite3",
        ] == sorted(p.name for p in (state_dir / "kv").glob("*.sqlite3"))
        assert {"k": b"a"} == _rows(host.kv_path("alpha"))

    @pytest.mark.parametrize("name", ["../escape", "a/b", ".."])
    def test_plugin_name_cannot_leave_the_kv_directory(self, host: Host, name: str) -> None:
        """A plugin name with path syntax still maps to one file directly in the kv directory."""
        path = host.kv_path(name)

        assert host.state_dir / "kv" == path.parent
        assert path.name.endswith(".sqlite3")

    def test_non_bytes_value_is_refused(self, host: Host) -> None:
        """A str value is refused, so every stored value reads back as bytes."""
        with pytest.raises(PluginRuntimeError) as info:
            host.context("cloud").kv_set(KvScope.PLUGIN, "k", "text")  # type: ignore[arg-type]

        assert "plugin 'cloud': kv_set value must be bytes (got str)" == str(info.value)

    def test_unusable_state_dir_is_a_plugin_error(self, tmp_path: Path) -> None:
        """An unusable state directory gives one line naming the plugin and the file."""
        blocker = tmp_path / "file"
        blocker.write_bytes(b"")
        with Host(state_dir=blocker) as host, pytest.raises(PluginRuntimeError) as info:
            host.context("cloud").kv_get(KvScope.PLUGIN, "k")

        assert str(info.value).startswith(f"plugin 'cloud': kv store {blocker}/kv/cloud.sqlite3: ")
        assert "cloud" == info.value.plugin

    def test_newer_schema_is_refused(self, host: Host, state_dir: Path) -> None:
        """A store written by a newer schema is refused rather than misread."""
        path = host.kv_path("cloud")
        path.parent.mkdir(parents=True)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA user_version = 99")

        with pytest.raises(PluginRuntimeError) as info:
            host.context("cloud").kv_get(KvScope.PLUGIN, "k")

        assert str(info.value).endswith("schema version 99 is newer than this harmont's 1")

    def test_corrupt_store_is_a_plugin_error(self, host: Host) -> None:
        """A store file that is not a database gives a PluginRuntimeError naming the file."""
        path = host.kv_path("cloud")
        path.parent.mkdir(parents=True)
        path.write_bytes(b"this is not a sqlite database, not even close" * 100)

        with pytest.raises(PluginRuntimeError) as info:
            host.context("cloud").kv_get(KvScope.PLUGIN, "k")

        assert f"plugin 'cloud': kv store {path}: file is not a database" == str(info.value)

    def test_store_is_in_wal_mode(self, host: Host) -> None:
        """The store runs in WAL mode, so readers never block the writer."""
        host.context("cloud").kv_set(KvScope.PLUGIN, "k", b"v")

        with sqlite3.connect(host.kv_path("cloud")) as connection:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]

        assert "wal" == mode

    def test_close_then_use_reopens(self, host: Host) -> None:
        """A host used after close reopens its store and still sees the committed keys."""
        host.context("cloud").kv_set(KvScope.PLUGIN, "k", b"v")
        host.close()

        assert b"v" == host.context("cloud").kv_get(KvScope.PLUGIN, "k")


class TestConcurrency:
    @pytest.mark.parametrize("shared", [True, False], ids=["one-host", "host-per-thread"])
    def test_sixteen_threads_lose_nothing(self, state_dir: Path, shared: bool) -> None:
        """Sixteen threads writing at once, through one host or one host each, lose no write."""
        writes = 40
        hosts = [Host(state_dir=state_dir) for _ in range(1 if shared else 16)]
        start = threading.Barrier(16)
        failures: list[BaseException] = []

        def writer(thread: int) -> None:
            context = hosts[thread % len(hosts)].context("counter")
            start.wait()
            try:
                for n in range(writes):
                    context.kv_set(KvScope.PLUGIN, f"{thread}-{n}", _payload(thread * writes + n))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for h in hosts:
            h.close()

        expected = {f"{t}-{n}": _payload(t * writes + n) for t in range(16) for n in range(writes)}
        assert [] == failures
        assert expected == _rows(SqliteKv(state_dir / "kv").path_for("counter"))

    def test_a_lock_sqlite_does_not_wait_for_is_waited_out(self, state_dir: Path) -> None:
        """A store file write-locked before it is in WAL mode is opened once the lock goes."""
        path = SqliteKv(state_dir / "kv").path_for("p")
        path.parent.mkdir(parents=True)
        # Switching to WAL answers SQLITE_BUSY at once, without sqlite's busy handler, while
        # another connection holds the write lock: what a second process creating the same
        # store meets.
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, blocker.execute, ("ROLLBACK",))
        release.start()
        kv = SqliteKv(state_dir / "kv")
        try:
            kv.set("p", "k", b"v")
            value = kv.get("p", "k")
        finally:
            release.join()
            blocker.close()
            kv.close()

        assert b"v" == value

    def test_concurrent_processes_lose_nothing(self, state_dir: Path) -> None:
        """Three processes writing to the same plugin store at once lose no write."""
        body = "for n in range(100):\n    kv.set('p', f'{sys.argv[2]}-{n}', payload(n))\n"
        children = [_child(state_dir, body, str(i)) for i in range(3)]
        for child in children:
            child.communicate(timeout=60)

        assert [0, 0, 0] == [child.returncode for child in children]
        assert {f"{i}-{n}": _payload(n) for i in range(3) for n in range(100)} == _rows(
            SqliteKv(state_dir / "kv").path_for("p")
        )


class TestKilledWriter:
    def test_killed_inside_a_transaction(self, state_dir: Path) -> None:
        """SIGKILL inside a transaction already spilled to the WAL keeps only committed data."""
        body = (
            "kv.set('p', 'committed', b'before')\n"
            "connection = sqlite3.connect(kv.path_for('p'), isolation_level=None)\n"
            # A tiny page cache forces the transaction's pages out into the WAL before commit.
            "connection.execute('PRAGMA cache_size = 4')\n"
            "connection.execute('BEGIN IMMEDIATE')\n"
            "connection.execute(\"UPDATE kv SET value = x'00' WHERE key = 'committed'\")\n"
            "for n in range(500):\n"
            "    connection.execute('INSERT INTO kv VALUES (?, ?)', (f'torn-{n}', bytes(4096)))\n"
            "print('inside', flush=True)\n"
            "time.sleep(120)\n"
        )
        child = _child(state_dir, body)
        assert child.stdout is not None
        assert "inside\n" == child.stdout.readline()
        wal = SqliteKv(state_dir / "kv").path_for("p").with_name("p.sqlite3-wal")
        assert wal.stat().st_size > 500 * 4096

        _kill(child)

        with Host(state_dir=state_dir) as host:
            context = host.context("p")
            assert b"before" == context.kv_get(KvScope.PLUGIN, "committed")
            assert context.kv_get(KvScope.PLUGIN, "torn-0") is None
            context.kv_set(KvScope.PLUGIN, "after", b"writable")
            assert b"writable" == context.kv_get(KvScope.PLUGIN, "after")
        assert "ok" == _integrity(host.kv_path("p"))

    def test_killed_in_a_tight_write_loop(self, state_dir: Path) -> None:
        """SIGKILL of a writer looping on kv_set keeps every acknowledged write, no torn value."""
        body = (
            "n = 0\n"
            "while True:\n"
            "    kv.set('p', f'k{n}', payload(n))\n"
            "    print(n, flush=True)\n"
            "    n += 1\n"
        )
        child = _child(state_dir, body)
        assert child.stdout is not None
        acknowledged = [int(child.stdout.readline()) for _ in range(300)]

        _kill(child)

        path = SqliteKv(state_dir / "kv").path_for("p")
        with Host(state_dir=state_dir) as host:
            context = host.context("p")
            for n in acknowledged:
                assert _payload(n) == context.kv_get(KvScope.PLUGIN, f"k{n}")
            rows = _rows(path)
        assert "ok" == _integrity(path)
        assert {key: _payload(int(key[1:])) for key in rows} == rows
        assert set(range(len(rows))) == {int(key[1:]) for key in rows}


class TestIsolation:
    @pytest.mark.parametrize("scope", list(KvScope))
    def test_plugins_cannot_read_each_others_keys(self, host: Host, scope: KvScope) -> None:
        """In every scope, a key one plugin set is invisible to another plugin of the same step."""
        run_id, step_id = uuid.uuid4(), uuid.uuid4()
        owner = host.context("alpha", run_id=run_id, step_id=step_id)
        other = host.context("beta", run_id=run_id, step_id=step_id)
        owner.kv_set(scope, "secret", b"alpha's")

        assert other.kv_get(scope, "secret") is None
        assert b"alpha's" == owner.kv_get(scope, "secret")

    @pytest.mark.parametrize("scope", list(KvScope))
    def test_same_key_in_two_plugins_stays_apart(self, host: Host, scope: KvScope) -> None:
        """Two plugins writing the same key in the same scope each read back their own value."""
        run_id, step_id = uuid.uuid4(), uuid.uuid4()
        alpha = host.context("alpha", run_id=run_id, step_id=step_id)
        beta = host.context("beta", run_id=run_id, step_id=step_id)
        alpha.kv_set(scope, "k", b"a")
        beta.kv_set(scope, "k", b"b")

        assert (b"a", b"b") == (alpha.kv_get(scope, "k"), beta.kv_get(scope, "k"))

    def test_scopes_do_not_share_keys(self, host: Host) -> None:
        """The same key in plugin, build and step scope holds three values."""
        context = host.context("alpha", run_id=uuid.uuid4(), step_id=uuid.uuid4())
        for scope in KvScope:
            context.kv_set(scope, "k", scope.value.encode())

        assert [b"plugin", b"build", b"step"] == [context.kv_get(s, "k") for s in KvScope]


class TestLifetimes:
    def test_step_scope_cleared_by_end_step(self, host: Host) -> None:
        """A step-scope key is gone after end_step of its step."""
        run_id, step_id = uuid.uuid4(), uuid.uuid4()
        host.context("p", run_id=run_id, step_id=step_id).kv_set(KvScope.STEP, "k", b"v")

        host.end_step(step_id)

        assert host.context("p", run_id=run_id, step_id=step_id).kv_get(KvScope.STEP, "k") is None

    def test_step_scope_is_per_step(self, host: Host) -> None:
        """A step-scope key set in one step is not seen by the next step of the same run."""
        run_id = uuid.uuid4()
        host.context("p", run_id=run_id, step_id=uuid.uuid4()).kv_set(KvScope.STEP, "k", b"v")

        assert (
            host.context("p", run_id=run_id, step_id=uuid.uuid4()).kv_get(KvScope.STEP, "k") is None
        )

    def test_end_step_leaves_other_steps_alone(self, host: Host) -> None:
        """Ending one step keeps the step-scope keys of a step still running."""
        first, second = uuid.uuid4(), uuid.uuid4()
        host.context("p", step_id=first).kv_set(KvScope.STEP, "k", b"1")
        host.context("p", step_id=second).kv_set(KvScope.STEP, "k", b"2")

        host.end_step(first)

        assert b"2" == host.context("p", step_id=second).kv_get(KvScope.STEP, "k")

    def test_build_scope_outlives_steps_and_ends_with_the_build(self, host: Host) -> None:
        """A build-scope key is seen by every step of its run and is gone after end_build."""
        run_id, first = uuid.uuid4(), uuid.uuid4()
        host.context("p", run_id=run_id, step_id=first).kv_set(KvScope.BUILD, "k", b"v")
        host.end_step(first)
        seen = host.context("p", run_id=run_id, step_id=uuid.uuid4()).kv_get(KvScope.BUILD, "k")

        host.end_build(run_id)

        assert b"v" == seen
        assert host.context("p", run_id=run_id).kv_get(KvScope.BUILD, "k") is None

    def test_build_scope_is_per_run(self, host: Host) -> None:
        """Two runs on one host do not share build-scope keys."""
        host.context("p", run_id=uuid.uuid4()).kv_set(KvScope.BUILD, "k", b"v")

        assert host.context("p", run_id=uuid.uuid4()).kv_get(KvScope.BUILD, "k") is None

    def test_memory_scopes_do_not_persist(self, state_dir: Path) -> None:
        """Build and step keys of a context without run or step last only as long as the host."""
        with Host(state_dir=state_dir) as first:
            first.context("p").kv_set(KvScope.BUILD, "b", b"v")
            first.context("p").kv_set(KvScope.STEP, "s", b"v")
            kept = (
                first.context("p").kv_get(KvScope.BUILD, "b"),
                first.context("p").kv_get(KvScope.STEP, "s"),
            )

        with Host(state_dir=state_dir) as second:
            gone = (
                second.context("p").kv_get(KvScope.BUILD, "b"),
                second.context("p").kv_get(KvScope.STEP, "s"),
            )

        assert ((b"v", b"v"), (None, None)) == (kept, gone)

    def test_plugin_scope_survives_end_step_and_end_build(self, host: Host) -> None:
        """Ending steps and builds never touches plugin-scope keys."""
        run_id, step_id = uuid.uuid4(), uuid.uuid4()
        context = host.context("p", run_id=run_id, step_id=step_id)
        context.kv_set(KvScope.PLUGIN, "k", b"v")

        host.end_step(step_id)
        host.end_build(run_id)

        assert b"v" == context.kv_get(KvScope.PLUGIN, "k")
