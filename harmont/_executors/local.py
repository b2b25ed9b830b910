"""
The ``local`` runner: steps run as shell processes on this machine, nothing to install.

A first-party plugin like any other (entry point ``local`` in the ``harmont.plugins``
group), following the executor contract:

- Each chain gets a working directory under a per-run temporary directory; the step's
  ``workdir`` (``/workspace``) maps to it. A chain root starts from an empty directory; a
  step started from a durable snapshot starts from a copy of it. Either way the run's
  source archive is then extracted over it.
- A step under ``CacheMissNoCommit`` hands its directory on as a *live* ref: the next step
  of the chain continues in it, with no copy.
- A step under ``CacheMissBuildAs`` moves its directory into the snapshot store under the
  tag: cache tags (``harmont-local/...``) persist in ``$XDG_CACHE_HOME/harmont/local/``, so
  a later run gets hits through :func:`hm_snapshot_exists`; ephemeral tags live in the run
  directory. Snapshots are never modified after they are stored.
- Steps run as ``sh -c`` process groups (:mod:`harmont._executors._process`). The
  environment is the step's merged env over a minimal base: ``PATH``, ``HOME`` and
  ``TMPDIR`` (when set) from the host, and ``LANG`` from the host or ``C.UTF-8``; nothing
  else of the caller's environment leaks into a step.
- ``image`` is ignored: the first step of a run that names one gets a one-line warning
  (not for the DSL's default image, which it stamps on steps that name none).
- Everything a run created is removed on its ``build_end`` hook, and at process exit (or
  a forced exit) for runs that never reached it.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Final

from harmont._errors import PluginRuntimeError, UnpackError
from harmont._executors._archive import read_archive
from harmont._executors._common import RunnerHooks
from harmont._executors._process import EXIT_TIMED_OUT, run_shell
from harmont._orchestrator._cache import CACHE_REPOSITORY, EPHEMERAL_REPOSITORY
from harmont._orchestrator._cleanup import on_forced_exit
from harmont._step_env import DEFAULT_IMAGE as DSL_DEFAULT_IMAGE
from harmont._version import __version__
from harmont.protocol import (
    API_VERSION,
    CacheHit,
    CacheMissBuildAs,
    HookEventKind,
    HookPhase,
    Level,
    LifecycleHookSpec,
    PluginManifest,
    StdStream,
    StepExecutorSpec,
    StepResult,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput

__all__ = [
    "RUNNER",
    "snapshot_store",
]

#: The runner name steps use to ask for this executor.
RUNNER: Final = "local"

_MANIFEST: Final = PluginManifest(
    api_version=API_VERSION,
    name="local",
    version=__version__,
    description="Runs steps as shell processes on this machine; images are ignored.",
    capabilities=(
        StepExecutorSpec(runner=RUNNER, default=False),
        # Removing a run's directories can take a while for big trees.
        LifecycleHookSpec(
            events=(HookEventKind.BUILD_END,), phase=HookPhase.AFTER, timeout_ms=60_000
        ),
    ),
)

_LIVE_PREFIX: Final = "local-live:"


def snapshot_store() -> Path:
    """Where cache snapshots persist: ``$XDG_CACHE_HOME/harmont/local`` (or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harmont" / "local"


def _tag_path(root: Path, tag: str) -> Path:
    """``<root>/<repository>/<name>/<version>`` for a tag made by the host's cache module."""
    repository, _, rest = tag.partition("/")
    name, _, version = rest.partition(":")
    parts = (repository, name, version)
    if not all(parts) or any(p in {".", ".."} or "/" in p for p in parts):
        raise PluginRuntimeError(
            f"local: snapshot tag '{tag}' is not of the form <repository>/<name>:<version>",
            plugin="local",
            capability="execute_step",
            code="bad_snapshot_tag",
        )
    return root.joinpath(*parts)


def _remove_tree(path: Path) -> None:
    """
    Delete *path* recursively with ``rm -rf``, then sweep what is left with
    :func:`shutil.rmtree`; errors are ignored.

    ``rm -rf`` is several times faster than :func:`shutil.rmtree` for the hundreds of small
    chain directories a big build leaves (measured in bench/run_overhead.py). The sweep
    always runs: after a successful ``rm`` it finds nothing and costs one failed stat; where
    ``rm`` is missing or failed part-way it removes what it can.
    """
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["rm", "-rf", "--", str(path)], check=True, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def _environment(step_env: dict[str, str]) -> dict[str, str]:
    home = os.environ.get("HOME")
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        # Path.home() reads the password database: only when HOME is unset.
        "HOME": home if home is not None else str(Path.home()),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    env.update(step_env)
    return env


class _Run:
    """What one run owns: its directory, its live workspaces, its source archive."""

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.root = Path(tempfile.mkdtemp(prefix=f"hm-local-{run_id.hex[:8]}-"))
        self.lock = threading.Lock()
        self.live: dict[str, Path] = {}
        self.archives: dict[uuid.UUID, bytes] = {}
        self.image_warned = False
        self._numbers = itertools.count()

    def new_dir(self, kind: str) -> Path:
        with self.lock:
            number = next(self._numbers)
        return self.root / kind / str(number)

    def adopt(self, workspace: Path) -> str:
        """Register *workspace* for the next step of its chain; return its live ref."""
        ref = f"{_LIVE_PREFIX}{self.run_id.hex}:{workspace.name}"
        with self.lock:
            self.live[ref] = workspace
        return ref

    def take(self, ref: str) -> Path:
        """The workspace behind live ref *ref*, which cannot be taken twice."""
        with self.lock:
            workspace = self.live.pop(ref, None)
        if workspace is None:
            raise PluginRuntimeError(
                f"local: live snapshot '{ref}' is unknown or was already consumed",
                plugin="local",
                capability="execute_step",
                code="bad_snapshot_ref",
            )
        return workspace

    def archive(self, context: PluginContext, archive_id: uuid.UUID) -> bytes:
        """The run's source archive, read once through the host API."""
        with self.lock:
            cached = self.archives.get(archive_id)
        if cached is not None:
            return cached
        data = read_archive(context, archive_id)
        with self.lock:
            self.archives[archive_id] = data
        return data


class _LocalExecutor:
    """The runs of this process, keyed by run id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[uuid.UUID, _Run] = {}

    def run(self, run_id: uuid.UUID) -> _Run:
        with self._lock:
            state = self._runs.get(run_id)
            if state is None:
                state = self._runs[run_id] = _Run(run_id)
            return state

    def end_run(self, run_id: uuid.UUID) -> None:
        """Remove the run directory of *run_id*; the persistent snapshot store stays."""
        with self._lock:
            state = self._runs.pop(run_id, None)
        if state is not None:
            _remove_tree(state.root)

    def end_all(self) -> None:
        """:meth:`end_run` for every run this process still holds (the exit safety net)."""
        with self._lock:
            run_ids = list(self._runs)
        for run_id in run_ids:
            self.end_run(run_id)

    def check(self, images: Mapping[str, str | None]) -> None:
        """Nothing to check: a step needs only ``sh``, and images are not used."""

    def snapshot_exists(self, tag: str) -> bool:
        """Whether *tag* is a cache snapshot in the persistent store (ephemeral tags never hit)."""
        if not tag.startswith(f"{CACHE_REPOSITORY}/"):
            return False
        return _tag_path(snapshot_store(), tag).is_dir()

    def durable_path(self, state: _Run, tag: str) -> Path:
        if tag.startswith(f"{CACHE_REPOSITORY}/"):
            return _tag_path(snapshot_store(), tag)
        if tag.startswith(f"{EPHEMERAL_REPOSITORY}/"):
            return _tag_path(state.root / "snapshots", tag)
        raise PluginRuntimeError(
            f"local: snapshot tag '{tag}' is in no repository this runner stores "
            f"(expected {CACHE_REPOSITORY}/ or {EPHEMERAL_REPOSITORY}/)",
            plugin="local",
            capability="execute_step",
            code="bad_snapshot_tag",
        )

    def execute(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        state = self.run(executor_input.run_id)
        step = executor_input.step
        self._warn_image(context, state, step.key, step.image)
        decision = executor_input.cache_lookup
        parent = executor_input.parent_snapshot
        if isinstance(decision, CacheHit):
            if not self.durable_path(state, decision.tag).is_dir():
                raise PluginRuntimeError(
                    f"local: cache snapshot '{decision.tag}' of step '{step.key}' is gone",
                    plugin="local",
                    capability="execute_step",
                    code="snapshot_missing",
                )
            if parent is not None and parent.startswith(_LIVE_PREFIX):
                shutil.rmtree(state.take(parent), ignore_errors=True)
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        workspace = self._workspace(context, state, executor_input)
        try:
            outcome = run_shell(
                step.cmd,
                cwd=workspace,
                env=_environment(executor_input.env),
                on_output=context.emit_step_log,
                should_cancel=context.should_cancel,
                timeout_seconds=step.timeout_seconds,
            )
        except OSError as exc:
            shutil.rmtree(workspace, ignore_errors=True)
            raise PluginRuntimeError(
                f"local: cannot start 'sh' for step '{step.key}': {exc.strerror}",
                plugin="local",
                capability="execute_step",
                code="spawn_failed",
            ) from exc
        if outcome.exit_code == EXIT_TIMED_OUT and outcome.timed_out:
            context.emit_step_log(
                StdStream.STDERR, f"step timed out after {step.timeout_seconds}s\n".encode()
            )
        if outcome.exit_code != 0:
            shutil.rmtree(workspace, ignore_errors=True)
            return StepResult(exit_code=outcome.exit_code)
        if isinstance(decision, CacheMissBuildAs):
            self._commit(state, workspace, decision.tag)
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        return StepResult(exit_code=0, committed_snapshot=state.adopt(workspace))

    def _warn_image(
        self, context: PluginContext, state: _Run, step_key: str, image: str | None
    ) -> None:
        # The DSL stamps its default image on every chain root that names none: that one
        # nobody wrote, and warning about it would warn on every run of every pipeline.
        if image is None or image == DSL_DEFAULT_IMAGE:
            return
        with state.lock:
            if state.image_warned:
                return
            state.image_warned = True
        context.log(Level.WARN, f"images are ignored: step '{step_key}' names '{image}'")

    def _workspace(
        self, context: PluginContext, state: _Run, executor_input: ExecutorInput
    ) -> Path:
        # Source packing needs pathspec and tarfile: loaded by the first chain that starts,
        # not by `hm --help`, which imports this plugin for its manifest.
        from harmont._orchestrator._source import unpack_source

        parent = executor_input.parent_snapshot
        if parent is not None and parent.startswith(_LIVE_PREFIX):
            return state.take(parent)
        workspace = state.new_dir("chains")
        if parent is None:
            workspace.mkdir(parents=True)
        else:
            source = self.durable_path(state, parent)
            if not source.is_dir():
                raise PluginRuntimeError(
                    f"local: snapshot '{parent}' of step '{executor_input.step.key}' is gone",
                    plugin="local",
                    capability="execute_step",
                    code="snapshot_missing",
                )
            shutil.copytree(source, workspace, symlinks=True)
        try:
            unpack_source(state.archive(context, executor_input.workspace_archive_id), workspace)
        except UnpackError as exc:
            _remove_tree(workspace)
            raise PluginRuntimeError(
                exc.message,
                plugin="local",
                capability="execute_step",
                code="unpack_failed",
                hint=exc.hint,
            ) from exc
        return workspace

    def _commit(self, state: _Run, workspace: Path, tag: str) -> None:
        target = self.durable_path(state, tag)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.{uuid.uuid4().hex}"
        shutil.move(workspace, staging)
        try:
            staging.rename(target)
        except OSError:
            # Another run stored the same tag first; snapshots of one tag are equivalent.
            shutil.rmtree(staging, ignore_errors=True)


_EXECUTOR: Final = _LocalExecutor()
atexit.register(_EXECUTOR.end_all)
# Forced exit (second Ctrl-C): the step groups are killed by _process; the directories go.
on_forced_exit(_EXECUTOR.end_all)
# The plugin is this module: its hooks are the shared runner hooks over _EXECUTOR.
RunnerHooks(_MANIFEST, _EXECUTOR).export(globals())
