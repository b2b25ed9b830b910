"""
The end-to-end rig: a throwaway project, and `hm run` on it as a real subprocess.

The pipelines of these tests use only what busybox provides (sh, echo, cat, test, sleep),
so they run unchanged on the local runner and in the docker test image; a runner that
needs an image gets it as the pipeline's ``default_image``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

import harmont
from harmont.protocol import BuildEvent, from_json

if TYPE_CHECKING:
    from collections.abc import Callable

#: A bound for every `hm` subprocess: a hung build fails its test instead of the suite.
TIMEOUT_SECONDS: Final = 60


def command(key: str, cmd: str, *, builds_in: str | None = None, **fields: Any) -> dict[str, Any]:
    """A flat-form command step."""
    return {"type": "command", "key": key, "cmd": cmd, "builds_in": builds_in, **fields}


def wait(*, continue_on_failure: bool = False) -> dict[str, Any]:
    """A flat-form wait step."""
    return {"type": "wait", "continue_on_failure": continue_on_failure}


@attrs.frozen
class Build:
    """What one `hm run` subprocess did."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[BuildEvent]:
        """Every stdout line decoded as a build event (``--format json`` runs)."""
        return [from_json(BuildEvent, line) for line in self.stdout.splitlines()]

    def of(self, kind: type[Any]) -> list[Any]:
        """The events of one class, in order."""
        return [event for event in self.events if isinstance(event, kind)]

    def keys(self) -> dict[Any, str]:
        """step_id -> step key, from the step_queued events."""
        return {e.step_id: e.key for e in self.events if e.KIND == "step_queued"}

    def logs(self, key: str) -> list[str]:
        """The output lines of step *key*, in order."""
        ids = {i for i, k in self.keys().items() if k == key}
        return [e.line for e in self.events if e.KIND == "step_log" and e.step_id in ids]


@attrs.define
class Project:
    """A project directory with one pipeline file, and `hm` run on it."""

    root: Path
    runner: str
    env: dict[str, str]
    image: str | None = None

    def pipeline(self, *steps: dict[str, Any], **document: Any) -> Path:
        """Write a flat-form IR document and return its path."""
        path = self.root / "pipeline.json"
        body: dict[str, Any] = {"version": "0", "steps": list(steps), **document}
        if self.image is not None:
            body.setdefault("default_image", self.image)
        path.write_text(json.dumps(body))
        return path

    def start(self, *args: str, stderr: IO[str] | int = subprocess.PIPE) -> subprocess.Popen[str]:
        """
        Start `hm run pipeline.json --runner <runner> --format json ARGS` in the background.

        :param stderr: where its stderr goes; a file lets a test poll it while reading stdout.
        """
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "harmont_cli",
            "run",
            "pipeline.json",
            "--runner",
            self.runner,
            "--format",
            "json",
            *args,
        ]

    def hm(self, *args: str, raw: bool = False) -> Build:
        """Run `hm run` to completion (``raw``: exactly ARGS after `hm`)."""
        argv = [sys.executable, "-m", "harmont_cli", *args] if raw else self.argv(*args)
        done = subprocess.run(
            argv,
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        return Build(done.returncode, done.stdout, done.stderr)


def until(ready: Callable[[], bool], what: str) -> None:
    """
    Return once *ready* holds; fail the test if it does not within :data:`TIMEOUT_SECONDS`.

    Tests synchronise with a subprocess this way, never by sleeping a guessed time: a
    sleep that is too short on a loaded machine makes the test pass without testing.
    """
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT_SECONDS}s waiting for {what}")
        time.sleep(0.01)


def run_bounded(
    pipeline: object, *, within: float = TIMEOUT_SECONDS, **options: Any
) -> harmont.BuildResult:
    """
    :func:`harmont.run` on a daemon thread, failing the test if it has not returned
    *within* seconds: a scheduler that deadlocks fails its test instead of hanging the
    suite. What the build raises is raised here.
    """
    outcome: list[harmont.BuildResult | BaseException] = []

    def build() -> None:
        try:
            outcome.append(harmont.run(pipeline, **options))
        except BaseException as exc:  # handed to the test's thread, which re-raises it
            outcome.append(exc)

    worker = threading.Thread(target=build, name="bounded-build", daemon=True)
    worker.start()
    worker.join(within)
    if not outcome:
        raise AssertionError(f"harmont.run did not return within {within}s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def hm_environment(home: Path) -> dict[str, str]:
    """
    The environment of an `hm` subprocess: a private home, cache, plugin state and runtime
    directory, so that nothing of the caller's XDG directories reaches a test's `hm`.
    """
    runtime = home / ".run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HM_", "HARMONT_", "XDG_")) and key != "NO_COLOR"
    }
    env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONUNBUFFERED="1",
    )
    return env


#: How long a SIGKILLed process may take to finish dying: the signal is delivered when the
#: scheduler next runs it, which on a loaded machine is not at once.
DEATH_SECONDS: Final = 5.0


def survivors(marker: str) -> list[str]:
    """
    Command lines of live processes that mention *marker* (zombies excluded).

    A kill is asynchronous (`kill` returns before the target has run its exit), so a
    process killed just before the call is given :data:`DEATH_SECONDS` to disappear; one
    that was never killed is still reported.
    """
    deadline = time.monotonic() + DEATH_SECONDS
    while (found := live_commands(marker)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


def live_commands(marker: str) -> list[str]:
    """Command lines (arguments joined by spaces) of live processes that mention *marker*."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        cmdline = b" ".join(argv).decode()
        if marker in cmdline and state != "Z":
            found.append(cmdline)
    return found


def run_id_of(stdout: str) -> str:
    """The run id of a ``--format json`` build, from its ``build_start`` event."""
    for line in stdout.splitlines():
        event = json.loads(line)
        if event.get("kind") == "build_start":
            return str(event["run_id"])
    raise AssertionError("no build_start event in the output")


def containers_of(run_id: str) -> list[str]:
    """Names of the containers (running or not) the docker runner labelled with *run_id*."""
    import docker

    client = docker.from_env()
    try:
        found = client.api.containers(all=True, filters={"label": f"dev.harmont.run={run_id}"})
    finally:
        client.close()
    return [c["Names"][0] for c in found]
