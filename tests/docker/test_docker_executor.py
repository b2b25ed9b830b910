"""The docker executor against a real engine, one step at a time through the registry."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from docker_rig import Rig

from harmont import EngineUnavailable, PluginRuntimeError
from harmont.protocol import CacheHit, CacheMissBuildAs, StdStream

if TYPE_CHECKING:
    from pathlib import Path

    from docker import APIClient


class TestChain:
    """Steps of one chain share one live container."""

    def test_a_live_snapshot_continues_in_the_same_container(self, rig: Rig) -> None:
        """The next step sees the files of the previous one, not the processes it left."""
        first, _ = rig.step("a", "echo built > out.txt; sleep 300 &")
        # The one live sleep is the keeper's; the step's was killed when the step ended.
        second, second_id = rig.step(
            "b",
            "cat out.txt; ps -o stat,comm | grep -v '^Z' | grep -c sleep",
            parent=first.committed_snapshot,
        )

        assert 0 == second.exit_code
        assert ["built", "1"] == rig.output(second_id)

    def test_what_a_step_left_running_is_reaped(self, rig: Rig) -> None:
        """A killed leftover of one step is not a zombie in the next (the keeper reaps it)."""
        first, _ = rig.step("a", "sleep 300 &")
        # The kill is asynchronous: give the reaping up to 5 s before counting zombies.
        second, second_id = rig.step(
            "b",
            "n=0; while ps -o stat | grep -q '^Z' && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done;"
            " ps -o stat | grep -c '^Z' || true",
            parent=first.committed_snapshot,
        )

        assert (0, ["0"]) == (second.exit_code, rig.output(second_id))

    def test_the_source_archive_is_in_the_workspace(self, rig: Rig) -> None:
        """A chain root finds the run's source in /workspace, its working directory."""
        assert ["/workspace", "hello"] == rig.run("a", "pwd; cat hello.txt")

    def test_env_is_per_step(self, rig: Rig) -> None:
        """Each exec gets its step's env over the image's; nothing leaks to the next step."""
        first, _ = rig.step("a", "true", env={"GREETING": "hi"})
        result, step_id = rig.step("b", 'echo "[$GREETING] $PATH"', parent=first.committed_snapshot)
        other, other_id = rig.step("c", 'echo "$GREETING"', env={"GREETING": "hi"})

        assert (0, ["[] /bin"]) == (result.exit_code, rig.output(step_id))
        assert (0, ["hi"]) == (other.exit_code, rig.output(other_id))

    def test_stdout_and_stderr_arrive_separately(self, rig: Rig) -> None:
        """Output is attributed to the stream it was written to."""
        result, step_id = rig.step("a", "echo out; echo err >&2; echo out2")

        assert (0, ["out", "out2"], ["err"]) == (
            result.exit_code,
            rig.output(step_id),
            rig.output(step_id, StdStream.STDERR),
        )

    def test_output_streams_while_the_step_runs(self, rig: Rig) -> None:
        """A line printed before a long sleep is emitted long before the step ends."""
        _, step_id = rig.step("a", "echo early; sleep 2")
        ended = time.monotonic()
        [(at, line)] = rig.logs(step_id)

        assert "early" == line
        assert ended - at > 1.5

    def test_exit_code_is_the_commands(self, rig: Rig) -> None:
        """A failing command fails the step with its status and returns no snapshot."""
        result, _ = rig.step("a", "exit 7")

        assert (7, None) == (result.exit_code, result.committed_snapshot)

    def test_a_failed_step_leaves_no_container(self, rig: Rig) -> None:
        """The container of a failed step is removed at once, not at build end."""
        rig.step("a", "false")

        assert ([], []) == rig.leftovers()

    def test_a_live_snapshot_has_one_consumer(self, rig: Rig) -> None:
        """Continuing from a live ref a second time is a plugin error naming the ref."""
        first, _ = rig.step("a", "true")
        rig.step("b", "true", parent=first.committed_snapshot)

        with pytest.raises(PluginRuntimeError, match="already consumed") as caught:
            rig.step("c", "true", parent=first.committed_snapshot)

        assert "docker_snapshot" == caught.value.code


class TestSnapshots:
    """Forks and the step cache go through committed images."""

    def test_fork_children_see_the_parent_and_not_each_other(self, rig: Rig) -> None:
        """Two chains started from one committed parent are isolated from each other."""
        tag = f"harmont-ephemeral/parent:run-{rig.run_id.hex}"
        parent, _ = rig.step("parent", "echo p > p.txt", decision=CacheMissBuildAs(tag=tag))
        left, _ = rig.step("left", "echo l > l.txt", parent=parent.committed_snapshot)
        right, _ = rig.step("right", "echo r > r.txt", parent=parent.committed_snapshot)

        assert tag == parent.committed_snapshot
        assert ["l.txt", "p.txt"] == rig.run(
            "left-2", "ls *.txt | grep -v hello", parent=left.committed_snapshot
        )
        assert ["p.txt", "r.txt"] == rig.run(
            "right-2", "ls *.txt | grep -v hello", parent=right.committed_snapshot
        )

    def test_build_end_removes_ephemeral_images_and_keeps_cache_images(
        self, rig: Rig, docker_api: APIClient
    ) -> None:
        """At build end the run's ephemeral images go; its cache images stay for later runs."""
        ephemeral = f"harmont-ephemeral/fork:run-{rig.run_id.hex}"
        cached = f"harmont-local/step:{rig.run_id.hex[:16]}"
        rig.step("fork", "true", decision=CacheMissBuildAs(tag=ephemeral))
        rig.step("step", "true", decision=CacheMissBuildAs(tag=cached))
        try:
            rig.end()
            labels = docker_api.inspect_image(cached)["Config"]["Labels"]

            assert ([], []) == rig.leftovers()
            assert {
                "dev.harmont.managed": "1",
                "dev.harmont.kind": "cache",
                "dev.harmont.run": str(rig.run_id),
            } == labels
        finally:
            docker_api.remove_image(cached)

    def test_a_cache_hit_runs_nothing(self, rig: Rig) -> None:
        """A hit returns its tag without running the command or starting a container."""
        result, step_id = rig.step("a", "echo ran", decision=CacheHit(tag=rig.image))

        assert (0, rig.image, []) == (
            result.exit_code,
            result.committed_snapshot,
            rig.output(step_id),
        )
        assert ([], []) == rig.leftovers()

    def test_a_cache_hit_after_a_live_step_releases_its_container(self, rig: Rig) -> None:
        """A live parent consumed by a hit is removed then, not left for build end."""
        first, _ = rig.step("a", "true")
        rig.step("b", "true", decision=CacheHit(tag=rig.image), parent=first.committed_snapshot)

        assert ([], []) == rig.leftovers()

    def test_snapshot_exists_asks_the_local_image_store(self, rig: Rig) -> None:
        """hm_snapshot_exists answers for the docker runner only, from the image store."""
        from harmont._executors import docker

        assert (True, False, None) == (
            docker.hm_snapshot_exists(runner="docker", tag=rig.image),
            docker.hm_snapshot_exists(runner="docker", tag="harmont-local/none:0000"),
            docker.hm_snapshot_exists(runner="local", tag=rig.image),
        )

    def test_a_snapshot_keeps_the_images_command(self, rig: Rig, docker_api: APIClient) -> None:
        """A committed snapshot runs what its image ran, not the executor's keeper process."""
        tag = f"harmont-ephemeral/cmd:run-{rig.run_id.hex}"
        rig.step("cmd", "true", decision=CacheMissBuildAs(tag=tag))
        config = docker_api.inspect_image(tag)["Config"]

        assert ([], ["sh"], "/workspace") == (
            config["Entrypoint"],
            config["Cmd"],
            config["WorkingDir"],
        )


class TestWorkspace:
    """The source archive is laid over /workspace idempotently."""

    def test_a_snapshot_gets_fresh_source_and_keeps_build_outputs(self, rig: Rig) -> None:
        """Changed files are updated, removed files disappear, build outputs survive."""
        (rig.source / "gone.txt").write_text("old\n")
        (rig.source / "lib").mkdir()
        (rig.source / "lib" / "gone.py").write_text("")
        tag = f"harmont-ephemeral/build:run-{rig.run_id.hex}"
        parent, _ = rig.step(
            "build",
            "mkdir -p lib/out && touch lib/out/a.o build.o",
            decision=CacheMissBuildAs(tag=tag),
        )
        (rig.source / "gone.txt").unlink()
        (rig.source / "lib" / "gone.py").unlink()
        (rig.source / "hello.txt").write_text("changed\n")
        rig.pack()

        assert ["build.o", "hello.txt", "lib", "changed", "out"] == rig.run(
            "next", "ls; cat hello.txt; ls lib", parent=parent.committed_snapshot
        )

    def test_a_directory_the_source_dropped_is_removed(self, rig: Rig) -> None:
        """A source directory with no files left and no build outputs disappears."""
        (rig.source / "old").mkdir()
        (rig.source / "old" / "f.txt").write_text("")
        tag = f"harmont-ephemeral/a:run-{rig.run_id.hex}"
        parent, _ = rig.step("a", "true", decision=CacheMissBuildAs(tag=tag))
        (rig.source / "old" / "f.txt").unlink()
        (rig.source / "old").rmdir()
        rig.pack()

        assert ["hello.txt"] == rig.run("b", "ls", parent=parent.committed_snapshot)


class TestStopping:
    """Time limits and cancellation kill the exec and everything it started."""

    def test_a_timeout_kills_the_step(self, rig: Rig) -> None:
        """A step over its limit ends with 124 and says so on stderr, well before it would."""
        started = time.monotonic()
        result, step_id = rig.step("slow", "echo -n partial; sleep 30", timeout_seconds=1)
        elapsed = time.monotonic() - started

        assert (124, None) == (result.exit_code, result.committed_snapshot)
        assert ["step timed out after 1s"] == rig.output(step_id, StdStream.STDERR)
        assert elapsed < 10
        assert ([], []) == rig.leftovers()

    def test_cancellation_kills_the_step(self, rig: Rig) -> None:
        """Cancelling mid-step ends it with 130 within a moment and removes its container."""
        timer = threading.Timer(0.5, rig.cancel.set)
        timer.start()
        started = time.monotonic()
        result, _ = rig.step("slow", "sleep 30")
        elapsed = time.monotonic() - started
        timer.cancel()

        assert 130 == result.exit_code
        assert elapsed < 10
        assert ([], []) == rig.leftovers()


class TestLifetime:
    """What the executor keeps of a run ends with it: an embedding process does not grow."""

    def test_ended_runs_leave_nothing_held(self, rig: Rig) -> None:
        """Three runs through one executor, each with a fork and a live container, then ended."""
        from harmont._executors.docker import _EXECUTOR  # the plugin's state, shared by runs

        runs = [rig, *(Rig(rig.api, rig.image, rig.source) for _ in range(2))]
        for run in runs:
            run.registry = rig.registry
            tag = f"harmont-ephemeral/fork:run-{run.run_id.hex}"
            fork, _ = run.step("fork", "true", decision=CacheMissBuildAs(tag=tag))
            run.step("child", "true", parent=fork.committed_snapshot)
            assert run.run_id in _EXECUTOR.held_runs()
            run.end()

        assert set() == {run.run_id for run in runs} & _EXECUTOR.held_runs()
        assert [([], [])] * 3 == [run.leftovers() for run in runs]


class TestRoundTrips:
    """The engine is asked only what a run needs: each saving below is one call or more."""

    @pytest.fixture
    def calls(self, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
        """The engine calls of this test, as (method, thread name), in the order made."""
        from docker import APIClient

        made: list[tuple[str, str]] = []
        for name in ("commit", "tag", "put_archive", "remove_container", "containers"):
            monkeypatch.setattr(APIClient, name, _recorded(name, getattr(APIClient, name), made))
        return made

    def test_a_chain_nobody_snapshots_uploads_only_its_source(
        self, rig: Rig, calls: list[tuple[str, str]]
    ) -> None:
        """No workspace manifest is written into a container that is never committed."""
        first, _ = rig.step("a", "true")
        second, _ = rig.step(
            "b", "test ! -e /.harmont/workspace-manifest", parent=first.committed_snapshot
        )

        assert 0 == second.exit_code
        assert ["put_archive"] == [name for name, _ in calls]

    def test_a_fork_parent_is_committed_straight_to_its_tag(
        self, rig: Rig, calls: list[tuple[str, str]]
    ) -> None:
        """One commit names the run-unique tag; the child still gets the manifest."""
        tag = f"harmont-ephemeral/parent:run-{rig.run_id.hex}"
        parent, _ = rig.step("parent", "true", decision=CacheMissBuildAs(tag=tag))
        child = rig.run("child", "tr '\\0' ' ' < /.harmont/workspace-manifest", parent=tag)

        assert tag == parent.committed_snapshot
        assert ["hello.txt"] == child
        assert ["commit"] == [name for name, _ in calls if name in {"commit", "tag"}]

    def test_a_stored_container_goes_without_holding_its_step(
        self, rig: Rig, calls: list[tuple[str, str]]
    ) -> None:
        """A fork parent's step returns once committed; a thread of its own removes it."""
        tag = f"harmont-ephemeral/parent:run-{rig.run_id.hex}"
        rig.step("parent", "true", decision=CacheMissBuildAs(tag=tag))
        rig.run("child", "true", parent=tag)
        rig.end()

        [parent_removal, *_] = [thread for name, thread in calls if name == "remove_container"]
        assert "hm-docker-release" == parent_removal
        assert ([], []) == rig.leftovers()

    def test_build_end_removes_held_containers_together(
        self, rig: Rig, calls: list[tuple[str, str]]
    ) -> None:
        """Three chains' containers go on removal threads, then one listing finds none."""
        for key in ("a", "b", "c"):
            rig.step(key, "true")
        rig.end()

        removals = [thread for name, thread in calls if name == "remove_container"]
        assert 3 == len(removals)
        assert all(thread.startswith("hm-docker-remove") for thread in removals)
        assert 1 == sum(name == "containers" for name, _ in calls)
        assert ([], []) == rig.leftovers()

    def test_the_check_connects_for_the_build(self, docker_engine: str) -> None:
        """The client that passed the pre-flight check is the build's: one connection."""
        from harmont._executors._docker_engine import (
            BUILD_TIMEOUT_SECONDS,
            CHECK_TIMEOUT_SECONDS,
            connect,
        )
        from harmont._executors.docker import DockerExecutor
        from harmont._orchestrator._preflight import PullPolicy

        made: list[int] = []

        def counting(*, timeout: int = BUILD_TIMEOUT_SECONDS) -> APIClient:
            made.append(timeout)
            return connect(timeout=timeout)

        executor = DockerExecutor(counting)
        executor.check({"a": docker_engine}, pull=PullPolicy.NEVER, on_pull=lambda _: None)
        api = executor.api()
        executor.end_all()  # removes the container the check began for root "a"

        assert [CHECK_TIMEOUT_SECONDS] == made
        assert BUILD_TIMEOUT_SECONDS == api.timeout
        api.close()


def _recorded(name: str, real: Any, made: list[tuple[str, str]]) -> Any:
    """*real*, an APIClient method, noting each call in *made* as (name, thread)."""

    def record(*args: object, **kwargs: object) -> Any:
        made.append((name, threading.current_thread().name))
        return real(*args, **kwargs)

    return record


class TestErrors:
    """Missing images and a missing engine are clear errors, never a pull or a fallback."""

    def test_a_missing_image_names_the_step_the_image_and_the_fixes(self, rig: Rig) -> None:
        """The error names step and image, hints docker pull first, then tag/build/import."""
        with pytest.raises(PluginRuntimeError) as caught:
            rig.step("compile", "true", image="harmont-test/absent:1")

        error = caught.value
        assert "docker_image_missing" == error.code
        assert "step 'compile': image 'harmont-test/absent:1'" in error.message
        assert (
            "pull it: `docker pull harmont-test/absent:1`; without a registry, tag an image "
            "you have (`docker tag <image> harmont-test/absent:1`), build it "
            "(`docker build -t harmont-test/absent:1 .`) or import a root filesystem "
            "(`docker import rootfs.tar harmont-test/absent:1`)"
        ) == error.hint

    def test_an_unreachable_engine_is_engine_unavailable(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Connecting to a dead socket raises EngineUnavailable with the start/--runner hint."""
        from harmont._executors._docker_engine import connect

        monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/dead.sock")

        with pytest.raises(EngineUnavailable) as caught:
            connect()

        assert f"unix://{tmp_path}/dead.sock" in caught.value.message
        assert caught.value.hint is not None
        assert "--runner local" in caught.value.hint


class TestRemoveContainers:
    def test_an_error_of_one_removal_is_raised_after_the_others(
        self, docker_api: APIClient, docker_engine: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Removed at once, the containers all go; what failed one is raised, not dropped."""
        from docker import APIClient
        from docker.errors import NotFound

        from harmont._executors._docker_engine import LABEL_MANAGED
        from harmont._executors.docker import _remove_containers

        ids = [
            docker_api.create_container(docker_engine, "true", labels={LABEL_MANAGED: "1"})["Id"]
            for _ in range(3)
        ]
        broken = ids[1]
        real = APIClient.remove_container

        def remove(api: APIClient, container: str, **options: Any) -> None:
            if container == broken:
                raise RuntimeError("removal bug")
            real(api, container, **options)

        monkeypatch.setattr(APIClient, "remove_container", remove)
        try:
            with pytest.raises(RuntimeError, match="removal bug"):
                _remove_containers(docker_api, ids)
        finally:
            monkeypatch.undo()
            docker_api.remove_container(broken, force=True)

        def exists(container: str) -> bool:
            try:
                docker_api.inspect_container(container)
            except NotFound:
                return False
            return True

        assert [False, False] == [exists(ids[0]), exists(ids[2])]
