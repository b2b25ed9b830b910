"""
Chain roots' containers begun by the pre-flight check: started before the build, and
removed on every path, taken by their step or not.

Such a container carries no run label until a step takes it, so these tests find a run's
containers by name (every step key of a test starts with its own unique word).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from harmont._executors import _docker_warm
from harmont._orchestrator._preflight import PullPolicy
from harmont._orchestrator._signals import FIRST_PRESS
from harmont.protocol import BuildEvent, BuildStart, StepCacheHit, StepLog, from_json
from tests.run.rig import TIMEOUT_SECONDS, Project, command, until

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from docker import APIClient


@pytest.fixture
def word() -> str:
    """The test's own word, which starts every step key (so every container name) it makes."""
    return f"w{uuid.uuid4().hex[:12]}"


def _containers(api: APIClient, word: str) -> list[str]:
    """Every container, running or not, whose name holds *word*."""
    return [c["Names"][0] for c in api.containers(all=True, filters={"name": word})]


def _created(api: APIClient, word: str, since: int) -> bool:
    """Whether a container whose name holds *word* was created since *since* (epoch s)."""
    events = api.events(
        since=since,
        until=int(time.time()) + 1,
        filters={"type": "container", "event": "create"},
        decode=True,
    )
    return any(word in event["Actor"]["Attributes"]["name"] for event in events)


def _begun_then_gone(api: APIClient, word: str, since: int) -> None:
    """Wait until a container of *word* was created since *since* and is gone again."""
    until(
        lambda: _created(api, word, since) and not _containers(api, word),
        "the check's container, then its removal",
    )


def _run(project: Project, name: str, *steps: dict[str, Any], **options: Any) -> list[str]:
    """Run a pipeline of *steps* in process, in a file of its own: its steps' output lines."""
    import harmont

    path = project.pipeline(*steps).rename(project.root / f"{name}.json")
    result = harmont.run(path, directory=project.root, runner="docker", keep_logs=True, **options)
    assert 0 == result.exit_code
    return [event.line for event in result.events if isinstance(event, StepLog)]


def _forked(project: Project, word: str, left: str = "true", **fields: Any) -> None:
    """A parent committed for two children: three containers, one of them the root's."""
    project.pipeline(
        command(f"{word}-parent", "echo p > p.txt"),
        command(f"{word}-left", left, builds_in=f"{word}-parent", **fields),
        command(f"{word}-right", "cat p.txt", builds_in=f"{word}-parent"),
    )


def test_the_root_container_runs_before_the_build_starts(
    project: Project, docker_api: APIClient, word: str
) -> None:
    """At ``build_start`` the root's container exists already; its step runs in it."""
    import harmont

    path = project.pipeline(command(f"{word}-root", "cat src.txt; hostname"))
    seen: list[list[str]] = []

    def on_event(event: object) -> None:
        # No step runs while this holds build_start: a container that appears meanwhile
        # was begun before the build.
        if isinstance(event, BuildStart):
            until(lambda: bool(_containers(docker_api, word)), "the root's container")
            seen.append(_containers(docker_api, word))

    result = harmont.run(
        path, directory=project.root, runner="docker", on_event=on_event, keep_logs=True
    )
    lines = [event.line for event in result.events if isinstance(event, StepLog)]

    assert 0 == result.exit_code
    [[name]] = seen
    assert name.endswith(f"-{word}-root")
    assert "source" == lines[0]
    assert [] == _containers(docker_api, word)


@pytest.mark.parametrize(
    "outcome",
    [("true", {}, 0), ("exit 3", {}, 1), ("sleep 60", {"timeout_seconds": 1}, 1)],
    ids=["success", "failure", "timeout"],
)
def test_nothing_is_left_after_a_run(
    project: Project, docker_api: APIClient, word: str, outcome: tuple[str, dict[str, Any], int]
) -> None:
    """Whatever the outcome, no container of the run is left, the root's included."""
    left, fields, code = outcome
    _forked(project, word, left, **fields)

    build = project.hm()

    assert code == build.returncode, build.stderr
    assert [] == _containers(docker_api, word)


def test_a_cached_root_leaves_no_container(
    project: Project, docker_api: APIClient, word: str
) -> None:
    """A root that is a cache hit never takes the container begun for it; the run removes it."""
    key = uuid.uuid4().hex * 2
    project.pipeline(
        command(f"{word}-root", "echo built > out.txt", cache={"policy": "forever", "key": key})
    )
    tag = f"harmont-local/{word}-root:{key[:16]}"
    try:
        first, second = project.hm(), project.hm()

        assert (0, 0) == (first.returncode, second.returncode), second.stderr
        assert 1 == len(second.of(StepCacheHit))
        assert [] == _containers(docker_api, word)
    finally:
        docker_api.remove_image(tag)


@pytest.mark.parametrize(
    "stop",
    [((signal.SIGINT,), 130), ((signal.SIGINT, signal.SIGINT), 130), ((signal.SIGTERM,), 143)],
    ids=["sigint", "sigint-twice", "sigterm"],
)
def test_nothing_is_left_after_a_signal(
    project: Project,
    docker_api: APIClient,
    tmp_path: Path,
    word: str,
    stop: tuple[tuple[signal.Signals, ...], int],
) -> None:
    """A stop signal, once or twice (forced exit), mid-root-step leaves no container behind."""
    signals, code = stop
    project.pipeline(command(f"{word}-root", "echo started; sleep 60"))
    stderr_path = tmp_path / "stderr"
    with stderr_path.open("w+") as stderr:
        process = project.start(stderr=stderr)
        assert process.stdout is not None
        for line in process.stdout:
            event = from_json(BuildEvent, line)
            if isinstance(event, StepLog) and event.line == "started":
                break
        first, *again = signals
        process.send_signal(first)
        for sent in again:
            until(lambda: FIRST_PRESS in stderr_path.read_text(), "the first press")
            process.send_signal(sent)
        returncode = process.wait(TIMEOUT_SECONDS)
    process.stdout.close()

    assert code == returncode
    assert [] == _containers(docker_api, word)


def test_a_build_that_never_starts_leaves_no_container(
    project: Project, docker_api: APIClient, word: str
) -> None:
    """The check began the root's container, then packing the source failed: it goes at exit."""
    project.pipeline(command(f"{word}-root", "true"))
    project.env["HM_MAX_SOURCE_BYTES"] = "1"

    build = project.hm()

    assert 2 == build.returncode, build.stderr
    assert "packing source" in build.stderr
    assert [] == _containers(docker_api, word)


def test_a_check_nobody_takes_from_goes_on_its_own(
    docker_engine: str, docker_api: APIClient, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check began the root's container, no build follows: it goes after the bound."""
    from harmont._executors.docker import DockerExecutor

    monkeypatch.setattr(_docker_warm, "TAKE_WITHIN_SECONDS", 0.5)
    since = int(time.time())
    executor = DockerExecutor()
    try:
        executor.check(
            {f"{word}-root": docker_engine}, pull=PullPolicy.NEVER, on_pull=lambda _: None
        )

        _begun_then_gone(docker_api, word, since)
    finally:
        executor.end_all()


def test_a_root_whose_container_went_starts_its_own(
    project: Project, docker_api: APIClient, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that starts after the bound finds the check's container gone, and runs."""
    monkeypatch.setattr(_docker_warm, "TAKE_WITHIN_SECONDS", 0.5)
    since = int(time.time())

    def on_event(event: object) -> None:
        if isinstance(event, BuildStart):
            _begun_then_gone(docker_api, word, since)

    lines = _run(project, "late", command(f"{word}-root", "cat src.txt"), on_event=on_event)

    assert ["source"] == lines
    assert [] == _containers(docker_api, word)


def test_a_run_ending_leaves_a_concurrent_runs_container(
    project: Project, docker_api: APIClient, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    One run starts and ends while another, in the same process, holds its build between
    its check and its first step: the other's root still runs in the container its own
    check began.
    """
    monkeypatch.setattr(_docker_warm, "TAKE_WITHIN_SECONDS", float(TIMEOUT_SECONDS))
    held = f"{word}h"
    began: list[str] = []
    other_ended = threading.Event()
    outcome: dict[str, list[str]] = {}

    def hold(event: object) -> None:
        if isinstance(event, BuildStart):
            until(lambda: bool(_containers(docker_api, held)), "the held run's container")
            [container] = docker_api.containers(all=True, filters={"name": held})
            began.append(container["Id"])
            other_ended.wait(TIMEOUT_SECONDS)

    def held_run() -> None:
        root = command(f"{held}-root", "hostname")
        outcome["held"] = _run(project, "held", root, on_event=hold)

    thread = threading.Thread(target=held_run)
    thread.start()
    try:
        until(lambda: bool(began), "the held run's build start")
        outcome["other"] = _run(project, "other", command(f"{word}o-root", "cat src.txt"))
    finally:
        other_ended.set()
        thread.join(TIMEOUT_SECONDS)

    assert ["source"] == outcome["other"]
    assert [began[0][:12]] == outcome["held"]
    assert [] == _containers(docker_api, word)


def test_an_unforeseen_error_making_a_container_prints_no_traceback(
    docker_engine: str, docker_api: APIClient, word: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An image description without its config fails the container's making quietly."""
    from harmont._executors._docker_engine import BUILD_TIMEOUT_SECONDS, connect
    from harmont._executors.docker import DockerExecutor

    raised: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)

    def without_config(*, timeout: int = BUILD_TIMEOUT_SECONDS) -> APIClient:
        api = connect(timeout=timeout)
        real = api.inspect_image

        def inspect(ref: str) -> dict[str, Any]:
            found: dict[str, Any] = real(ref)  # type: ignore[no-untyped-call]
            return {key: value for key, value in found.items() if key != "Config"}

        monkeypatch.setattr(api, "inspect_image", inspect)
        return api

    executor = DockerExecutor(without_config)
    executor.check({f"{word}-root": docker_engine}, pull=PullPolicy.NEVER, on_pull=lambda _: None)
    executor.end_all()  # waits for the making to end

    assert [] == raised
    assert [] == _containers(docker_api, word)


def test_a_run_takes_from_one_batch_only(
    docker_engine: str, docker_api: APIClient, word: str
) -> None:
    """
    A run that took from one check's batch takes nothing from another's, even for a root
    its own lacks: the other check's run gets what that check began.
    """
    from harmont._executors._docker_engine import connect

    api = connect()
    starts = _docker_warm.WarmStarts(_remove)
    first, second = uuid.uuid4(), uuid.uuid4()
    taken: list[str] = []
    try:
        starts.begin(api, {f"{word}-a": docker_engine})
        starts.begin(api, {f"{word}-a": docker_engine, f"{word}-b": docker_engine})

        mine = starts.take(first, f"{word}-a", docker_engine)
        theirs_by_me = starts.take(first, f"{word}-b", docker_engine)
        theirs = starts.take(second, f"{word}-a", docker_engine)

        assert theirs_by_me is None
        assert mine is not None
        assert theirs is not None
        assert mine.id is not None
        assert theirs.id is not None
        taken += [mine.id, theirs.id]
        assert mine.id != theirs.id
    finally:
        _remove(api, taken + starts.end_run(first) + starts.end_run(second))
        _remove(api, starts.close())

    assert [] == _containers(docker_api, word)


def _remove(api: APIClient, ids: Sequence[str]) -> None:
    """Force-remove the containers *ids*."""
    for container in ids:
        api.remove_container(container, force=True)  # type: ignore[no-untyped-call]
