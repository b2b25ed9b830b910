"""
The ``local`` runner: steps run as shell processes on this machine, nothing to install.

A first-party plugin like any other (entry point ``local`` in the ``harmont.plugins``
group), following the executor contract:

- The run's source archive is extracted once per run. Each chain gets a working
  directory under a per-run temporary directory (the step's ``workdir``, ``/workspace``,
  maps to it): a chain root's is a clone of the extracted source, a chain started from a
  durable snapshot gets a clone of the snapshot with the source laid over it, made in
  one walk. Clones are reflinks where the file system shares extents, copies elsewhere
  (:mod:`._tree_clone`); which one a run used is logged at debug level on
  ``harmont.plugin.local``.
- Each step is ``sh -c <cmd>`` spawned by `hm` in its chain's directory
  (:func:`._process.run_shell`), the ``sh`` on the step's ``PATH`` or else `hm`'s own,
  found by the runner's check: a process group of its own with no terminal, stdin
  ``/dev/null``, stdout and stderr on two pipes read as they come. Nothing but the
  directory carries from one step of a chain to the next, so no shell is kept between
  steps: `hm` spawning the step costs less than a shell launching it would. The group is
  killed when the step's shell exits; a process of the step that escaped its group and
  still holds its output is reported in one warning line and no longer waited for.
- A step under ``CacheMissNoCommit`` hands its directory on as a *live* ref: the next
  step of the chain continues in it.
- A step under ``CacheMissBuildAs`` stores its directory under the tag: cache tags
  (``harmont-local/...``) are moved into ``$XDG_CACHE_HOME/harmont/local/``, so a later
  run gets hits through :func:`hm_snapshot_exists`; an ephemeral tag (a fork parent's)
  names the directory where it is, in the run directory, at no cost. Snapshots are never
  modified after they are stored.
- A step's environment is a minimal base under its own env: ``PATH``, ``HOME`` and
  ``TMPDIR`` (when set) from the host, and ``LANG`` from the host or ``C.UTF-8``; nothing
  else of the caller's environment leaks into a step (not even the ``LC_CTYPE`` Python
  sets in `hm` when it coerces a C locale).
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
from harmont._executors._debug_shell import attach, shell_script
from harmont._executors._process import (
    EXIT_TIMED_OUT,
    SPAWN_LOCK,
    StepShells,
    find_sh,
    run_shell,
)
from harmont._executors._tree_clone import clone_tree
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
    from collections.abc import Callable, Mapping

    from harmont._orchestrator._preflight import PullPolicy, PullProgress
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
#: The run directory's subdirectory of chain directories.
_CHAINS: Final = "chains"


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
    with contextlib.suppress(OSError):
        with SPAWN_LOCK:
            remover = subprocess.Popen(
                ["rm", "-rf", "--", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        remover.wait()
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


def _error(message: str, code: str, hint: str | None = None) -> PluginRuntimeError:
    return PluginRuntimeError(
        message, plugin="local", capability="execute_step", code=code, hint=hint
    )


class _Run:
    """What one run owns: its directory, its live chains, its snapshots, its sources."""

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.root = Path(tempfile.mkdtemp(prefix=f"hm-local-{run_id.hex[:8]}-"))
        (self.root / _CHAINS).mkdir()
        self.lock = threading.Lock()
        #: Chain directories handed on to the next step of their chain, by live ref.
        self.live: dict[str, Path] = {}
        #: Ephemeral snapshots: the directory of the chain that stored each, by tag.
        self.snapshots: dict[str, Path] = {}
        self.sources: dict[uuid.UUID, Path] = {}
        self.source_lock = threading.Lock()
        #: How chain directories were made (see :mod:`._tree_clone`), logged once each.
        self.clone_mechanisms: set[str] = set()
        self.image_warned = False
        #: Failed steps' chain directories kept for a debug shell (``hm run -i``), by step id.
        self.failed: dict[uuid.UUID, Path] = {}
        self._numbers = itertools.count()

    def new_dir(self, kind: str) -> Path:
        with self.lock:
            number = next(self._numbers)
        return self.root / kind / str(number)

    def adopt(self, workspace: Path) -> str:
        """Register chain directory *workspace* for the next step; return its live ref."""
        ref = f"{_LIVE_PREFIX}{self.run_id.hex}:{workspace.name}"
        with self.lock:
            self.live[ref] = workspace
        return ref

    def take(self, ref: str) -> Path:
        """The chain directory behind live ref *ref*, which cannot be taken twice."""
        with self.lock:
            workspace = self.live.pop(ref, None)
        if workspace is None:
            raise _error(
                f"local: live snapshot '{ref}' is unknown or was already consumed",
                "bad_snapshot_ref",
            )
        return workspace

    def note_clone(self, context: PluginContext, mechanism: str) -> None:
        """Log, once per run and mechanism, how chain directories are made."""
        with self.lock:
            if mechanism in self.clone_mechanisms:
                return
            self.clone_mechanisms.add(mechanism)
        context.log(Level.DEBUG, f"chain directories are made by {mechanism}")

    def source(self, context: PluginContext, archive_id: uuid.UUID) -> Path:
        """The run's source, extracted once (the first caller extracts, others wait)."""
        with self.source_lock:
            extracted = self.sources.get(archive_id)
            if extracted is not None:
                return extracted
            # Source packing needs pathspec and tarfile: loaded by the first chain that
            # starts, not by `hm --help`, which imports this plugin for its manifest.
            from harmont._orchestrator._source import unpack_source

            extracted = self.new_dir("sources")
            try:
                unpack_source(read_archive(context, archive_id), extracted)
            except UnpackError as exc:
                _remove_tree(extracted)
                raise _error(exc.message, "unpack_failed", exc.hint) from exc
            self.sources[archive_id] = extracted
            return extracted


class _LocalExecutor:
    """The runs of this process, keyed by run id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[uuid.UUID, _Run] = {}
        #: The steps' shells, with `hm`'s own as the fallback; made anew by each check.
        self._shells: StepShells | None = None

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

    def check(
        self,
        images: Mapping[str, str | None],
        *,
        pull: PullPolicy,
        on_pull: Callable[[PullProgress], None],
    ) -> None:
        """
        Nothing to pull: a step needs only ``sh``, and `hm`'s own ``PATH`` must lead to one
        for the steps whose ``PATH`` does not.

        :raises PluginRuntimeError: `hm`'s ``PATH`` has no ``sh``.
        """
        self._shells = _host_shells()

    def shells(self) -> StepShells:
        """The steps' shells: the check's, or found now for a step run without a check."""
        shells = self._shells
        if shells is None:
            shells = self._shells = _host_shells()
        return shells

    def snapshot_exists(self, tag: str) -> bool:
        """Whether *tag* is a cache snapshot in the persistent store (ephemeral tags never hit)."""
        if not tag.startswith(f"{CACHE_REPOSITORY}/"):
            return False
        return _tag_path(snapshot_store(), tag).is_dir()

    def snapshot_dir(self, state: _Run, tag: str) -> Path | None:
        """The directory of snapshot *tag*, None if it is not stored."""
        if tag.startswith(f"{EPHEMERAL_REPOSITORY}/"):
            with state.lock:
                return state.snapshots.get(tag)
        path = _tag_path(snapshot_store(), _cache_tag(tag))
        return path if path.is_dir() else None

    def execute(self, context: PluginContext, executor_input: ExecutorInput) -> StepResult:
        state = self.run(executor_input.run_id)
        step = executor_input.step
        self._warn_image(context, state, step.key, step.image)
        decision = executor_input.cache_lookup
        parent = executor_input.parent_snapshot
        if isinstance(decision, CacheHit):
            if self.snapshot_dir(state, decision.tag) is None:
                raise _error(
                    f"local: cache snapshot '{decision.tag}' of step '{step.key}' is gone",
                    "snapshot_missing",
                )
            if parent is not None and parent.startswith(_LIVE_PREFIX):
                _remove_tree(state.take(parent))
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        env = _environment(executor_input.env)
        sh = self.shells().of(env["PATH"])
        workspace = self._chain(context, state, executor_input)
        try:
            outcome = run_shell(
                step.cmd,
                sh=sh,
                cwd=workspace,
                env=env,
                on_output=context.emit_step_log,
                should_cancel=context.should_cancel,
                timeout_seconds=step.timeout_seconds,
            )
        except OSError as exc:
            _remove_tree(workspace)
            raise _error(
                f"local: cannot start '{sh}' for step '{step.key}': {exc.strerror or exc}",
                "spawn_failed",
            ) from exc
        except ValueError as exc:  # a NUL byte, which no command or variable can hold
            _remove_tree(workspace)
            raise _error(f"local: step '{step.key}': {exc}", "bad_step") from exc
        except BaseException:
            _remove_tree(workspace)
            raise
        if outcome.escaped:
            context.log(
                Level.WARN,
                f"step '{step.key}' left a process running outside its process group "
                "(started with setsid?) that held its output open: it was not killed, "
                "and its further output is discarded",
            )
        if outcome.exit_code == EXIT_TIMED_OUT and outcome.timed_out:
            context.emit_step_log(
                StdStream.STDERR, f"step timed out after {step.timeout_seconds}s\n".encode()
            )
        if outcome.exit_code != 0:
            if context.keep_failed and not (outcome.cancelled or outcome.timed_out):
                with state.lock:
                    state.failed[executor_input.step_id] = workspace
            else:
                _remove_tree(workspace)
            return StepResult(exit_code=outcome.exit_code)
        if isinstance(decision, CacheMissBuildAs):
            self._commit(state, workspace, decision.tag)
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        return StepResult(exit_code=0, committed_snapshot=state.adopt(workspace))

    def open_shell(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        program: str,
        run_command: bool,
    ) -> int:
        """
        *program* on the terminal, in the chain directory the step runs in (or the one its
        failed command left), with the step's env; the directory goes afterwards.
        """
        state = self.run(executor_input.run_id)
        with state.lock:
            workspace = state.failed.pop(executor_input.step_id, None)
        if workspace is None:
            workspace = self._chain(context, state, executor_input)
        step = executor_input.step
        try:
            return attach(
                shell_script(step.cmd, program, run_command=run_command),
                cwd=workspace,
                env=_environment(executor_input.env),
            )
        except OSError as exc:
            raise PluginRuntimeError(
                f"local: cannot start a shell for step '{step.key}': {exc.strerror}",
                plugin="local",
                capability="open_shell",
                code="spawn_failed",
            ) from exc
        finally:
            _remove_tree(workspace)

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

    def _chain(self, context: PluginContext, state: _Run, executor_input: ExecutorInput) -> Path:
        """The directory the step runs in: its chain's, or a new one for a chain's start."""
        parent = executor_input.parent_snapshot
        if parent is not None and parent.startswith(_LIVE_PREFIX):
            return state.take(parent)
        snapshot = None if parent is None else self.snapshot_dir(state, parent)
        if parent is not None and snapshot is None:
            raise _error(
                f"local: snapshot '{parent}' of step '{executor_input.step.key}' is gone",
                "snapshot_missing",
            )
        source = state.source(context, executor_input.workspace_archive_id)
        workspace = state.new_dir(_CHAINS)
        try:
            mechanism = clone_tree(source, workspace, over=snapshot)
        except OSError as exc:
            _remove_tree(workspace)
            raise _error(
                f"local: cannot make the directory of step '{executor_input.step.key}': "
                f"{exc.strerror or exc}",
                "workspace_failed",
            ) from exc
        except BaseException:
            _remove_tree(workspace)
            raise
        state.note_clone(context, mechanism)
        return workspace

    def _commit(self, state: _Run, workspace: Path, tag: str) -> None:
        """Store chain directory *workspace* as snapshot *tag* (see the module docstring)."""
        if tag.startswith(f"{EPHEMERAL_REPOSITORY}/"):
            with state.lock:
                stored = state.snapshots.setdefault(tag, workspace)
            if stored is not workspace:  # stored twice: snapshots of one tag are equivalent
                _remove_tree(workspace)
            return
        target = _tag_path(snapshot_store(), _cache_tag(tag))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.{uuid.uuid4().hex}"
        shutil.move(workspace, staging)
        try:
            staging.rename(target)
        except OSError:
            # Another run stored the same tag first; snapshots of one tag are equivalent.
            shutil.rmtree(staging, ignore_errors=True)


def _host_shells() -> StepShells:
    """The steps' shells over `hm`'s own ``sh``, found on `hm`'s ``PATH``."""
    path = os.environ.get("PATH", os.defpath)
    sh = find_sh(path)
    if sh is None:
        raise PluginRuntimeError(
            f"local: no 'sh' on PATH ({path}) to run steps with",
            plugin="local",
            capability="check_runner",
            code="no_shell",
            hint="put a directory that holds sh (/bin, /usr/bin) on PATH",
        )
    return StepShells(sh)


def _cache_tag(tag: str) -> str:
    """*tag*, which must be in the persistent cache's repository."""
    if tag.startswith(f"{CACHE_REPOSITORY}/"):
        return tag
    raise PluginRuntimeError(
        f"local: snapshot tag '{tag}' is in no repository this runner stores "
        f"(expected {CACHE_REPOSITORY}/ or {EPHEMERAL_REPOSITORY}/)",
        plugin="local",
        capability="execute_step",
        code="bad_snapshot_tag",
    )


_EXECUTOR: Final = _LocalExecutor()
atexit.register(_EXECUTOR.end_all)
# Forced exit (second Ctrl-C): the step groups are killed by _process; the directories go.
on_forced_exit(_EXECUTOR.end_all)
# The plugin is this module: its hooks are the shared runner hooks over _EXECUTOR.
RunnerHooks(_MANIFEST, _EXECUTOR).export(globals())
