"""`hm cache clean` removes what harmont created in the engine, and only that."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import pytest
from docker.errors import NotFound

from harmont._executors._docker_engine import KIND_CACHE, KIND_CHAIN, KIND_EPHEMERAL, labels

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from docker import APIClient


@pytest.fixture
def leftovers(docker_api: APIClient, docker_engine_exclusive: str) -> Iterator[dict[str, str]]:
    """A crashed run's container, an ephemeral image and a cache image, plus a user image."""
    run_id = uuid.uuid4()
    suffix = run_id.hex[:12]
    container = docker_api.create_container(
        docker_engine_exclusive,
        ["sleep", "infinity"],
        name=f"harmont-{suffix}-crashed",
        labels=labels(KIND_CHAIN, run_id),
    )
    docker_api.start(container)
    made = {"container": f"harmont-{suffix}-crashed"}
    for kind, repository in ((KIND_EPHEMERAL, "harmont-ephemeral"), (KIND_CACHE, "harmont-local")):
        docker_api.commit(
            container,
            repository=f"{repository}/step",
            tag=suffix,
            conf={"Labels": labels(kind, run_id)},
        )
        made[kind] = f"{repository}/step:{suffix}"
    docker_api.tag(docker_engine_exclusive, "harmont-test/user-image", suffix)
    made["user"] = f"harmont-test/user-image:{suffix}"
    yield made
    # Whatever the test did not remove itself.
    with contextlib.suppress(NotFound):
        docker_api.remove_container(container, force=True)
    for ref in (made[KIND_EPHEMERAL], made[KIND_CACHE], made["user"]):
        with contextlib.suppress(NotFound):
            docker_api.remove_image(ref)


def _exists(api: APIClient, ref: str) -> bool:
    try:
        api.inspect_image(ref)
    except NotFound:
        return False
    return True


class TestCacheClean:
    """The `hm cache clean` command."""

    def test_dry_run_lists_and_removes_nothing(
        self, leftovers: dict[str, str], docker_api: APIClient, tmp_path: Path
    ) -> None:
        """--dry-run prints each harmont object with its kind and leaves all in place."""
        code, out = _hm(tmp_path, "cache", "clean", "--dry-run")

        assert 0 == code
        assert f"would remove container {leftovers['container']} (chain)" in out
        assert f"would remove image {leftovers['ephemeral']} (ephemeral)" in out
        assert f"would remove image {leftovers['cache']} (cache)" in out
        assert leftovers["user"] not in out
        assert (True, True) == (
            _exists(docker_api, leftovers["cache"]),
            bool(docker_api.containers(filters={"name": leftovers["container"]})),
        )

    def test_clean_removes_harmont_objects_and_keeps_the_users(
        self, leftovers: dict[str, str], docker_api: APIClient, tmp_path: Path
    ) -> None:
        """Containers and images labelled by harmont go, local snapshots too; a user image stays."""
        snapshot = tmp_path / "cache" / "harmont" / "local" / "harmont-local" / "build" / "0123"
        snapshot.mkdir(parents=True)

        code, out = _hm(tmp_path, "cache", "clean")

        assert 0 == code
        assert f"removed image {leftovers['cache']} (cache)" in out
        assert (f"removed snapshot {snapshot} (cache)\n", False) == (
            out.splitlines(keepends=True)[-1],
            snapshot.exists(),
        )
        assert (False, False, True, []) == (
            _exists(docker_api, leftovers["cache"]),
            _exists(docker_api, leftovers["ephemeral"]),
            _exists(docker_api, leftovers["user"]),
            docker_api.containers(all=True, filters={"name": leftovers["container"]}),
        )


def _hm(tmp_path: Path, *args: str) -> tuple[int, str]:
    # A private cache: `hm cache clean` also empties the local runner's snapshot store.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "harmont_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout
