"""
The ``local`` runner: steps run as shell processes on this machine, nothing to install.

A first-party plugin like any other (entry point ``local`` in the ``harmont.plugins``
group), following the executor contract:

- The run's source archive is extracted once per run. Each chain gets a working
  directory under a per-run temporary directory (the step's ``workdir``, ``/workspace``,
  maps to it): a chain root's is a clone of the extracted source, a chain started from a
  durable snapshot gets a clone of the snapshot with the source laid over it. Clones are
  reflinks where the file system shares extents, copies elsewhere
  (:mod:`._tree_clone`); which one a run used is logged at debug level on
  ``harmont.plugin.local``.
- Each chain runs one long-lived ``sh`` session in its directory, and each step is a
  framed script handed to it (:mod:`._local_session`, :mod:`._shell_session`): the
  step's own env over the session's, a process group of its own (``setsid``, or the
  Python running `hm` where there is none: nothing to install), its output on FIFOs of
  its own (in ``$XDG_RUNTIME_DIR``, else ``/dev/shm`` where there is one), its exit
  status on the session's status channel. A process of the step that escaped its group
  and still holds its output is reported in one warning line and no longer waited for.
- A step under ``CacheMissNoCommit`` hands its directory and session on as a *live* ref:
  the next step of the chain continues in them.
- A step under ``CacheMissBuildAs`` ends the session and moves its directory into the
  snapshot store under the tag: cache tags (``harmont-local/...``) persist in
  ``$XDG_CACHE_HOME/harmont/local/``, so a later run gets hits through
  :func:`hm_snapshot_exists`; ephemeral tags live in the run directory. Snapshots are
  never modified after they are stored.
- The session's environment is a minimal base: ``PATH``, ``HOME`` and ``TMPDIR`` (when
  set) from the host, and ``LANG`` from the host or ``C.UTF-8``; nothing else of the
  caller's environment leaks into a step.
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
import re
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
from harmont._executors._local_session import LocalSession
from harmont._executors._process import EXIT_TIMED_OUT, group_launcher
from harmont._executors._shell_session import StepScript
from harmont._executors._tree_clone import clone_tree, lay_over
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
    "abandoned_fifo_dirs",
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
#: A file system in memory, where the steps' FIFOs are cheapest to make (Linux), used
#: when ``$XDG_RUNTIME_DIR`` (the user's own directory for pipes and sockets) is unset.
_MEMORY_DIR: Final = "/dev/shm"
#: A run's FIFO directory there: ``hm-fifos-<pid>-<random>``, *pid* the `hm` process whose
#: run made it, so `hm cache clean` can tell a killed run's directory from a live one's.
_FIFO_DIR_NAME: Final = re.compile(r"hm-fifos-([0-9]+)-")


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


def _fifo_dir(root: Path) -> Path:
    """
    A private directory for the run's FIFOs: in memory (:func:`_memory_dir`) where there
    is one, else in the run directory *root*.

    Each step makes two FIFOs and removes them: on a disk file system (ext4) that is
    journalled metadata, and cost a trivial step more CPU than anything else `hm` does.
    """
    with contextlib.suppress(OSError):
        return Path(tempfile.mkdtemp(prefix=f"hm-fifos-{os.getpid()}-", dir=_memory_dir()))
    fifos = root / "fifos"
    fifos.mkdir(mode=0o700)
    return fifos


def _memory_dir() -> str:
    """``$XDG_RUNTIME_DIR``, made for a user's pipes and sockets, else ``/dev/shm``."""
    return os.environ.get("XDG_RUNTIME_DIR") or _MEMORY_DIR


def abandoned_fifo_dirs(memory_dir: Path | None = None) -> list[Path]:
    """
    This user's run FIFO directories in *memory_dir* whose `hm` process is gone, sorted.

    A run removes its own at build end; a killed one (SIGKILL, out of memory) cannot, and
    the directory holds memory until reboot. One whose process lives is left, as is one
    whose pid a later process reused: removing a live run's FIFOs would fail its steps.
    A directory named otherwise (another program's) is not harmont's to judge.

    :raises OSError: *memory_dir* exists but cannot be listed.
    """
    try:
        entries = list(os.scandir(_memory_dir() if memory_dir is None else memory_dir))
    except FileNotFoundError:
        return []
    abandoned = []
    for entry in entries:
        named = _FIFO_DIR_NAME.match(entry.name)
        if (
            named is not None
            and entry.is_dir(follow_symlinks=False)
            and entry.stat(follow_symlinks=False).st_uid == os.getuid()
            and not _process_lives(int(named[1]))
        ):
            abandoned.append(Path(entry.path))
    return sorted(abandoned)


def _process_lives(pid: int) -> bool:
    """Whether a process *pid* exists (another user's included); a pid it cannot be: True."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


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


class _Chain:
    """A chain's live environment: its directory and the shell session running in it."""

    def __init__(self, workspace: Path, session: LocalSession) -> None:
        self.workspace = workspace
        self.session = session

    def discard(self) -> None:
        """End the session and delete the directory."""
        self.session.close()
        _remove_tree(self.workspace)


class _Run:
    """What one run owns: its directory, its live chains, its extracted sources."""

    def __init__(self, run_id: uuid.UUID) -> None:
        self.run_id = run_id
        self.root = Path(tempfile.mkdtemp(prefix=f"hm-local-{run_id.hex[:8]}-"))
        self.fifos = _fifo_dir(self.root)
        self.lock = threading.Lock()
        self.live: dict[str, _Chain] = {}
        #: Every session started for the run, ended with it.
        self.sessions: set[LocalSession] = set()
        self.sources: dict[uuid.UUID, Path] = {}
        self.source_lock = threading.Lock()
        #: How chain directories were made (see :mod:`._tree_clone`), logged once each.
        self.clone_mechanisms: set[str] = set()
        self.image_warned = False
        self._launcher: bytes | None = None
        #: Failed steps' chains kept for a debug shell (``hm run -i``), by step id.
        self.failed: dict[uuid.UUID, _Chain] = {}
        self._numbers = itertools.count()

    def new_dir(self, kind: str) -> Path:
        with self.lock:
            number = next(self._numbers)
        return self.root / kind / str(number)

    def adopt(self, chain: _Chain) -> str:
        """Register *chain* for the next step; return its live ref."""
        ref = f"{_LIVE_PREFIX}{self.run_id.hex}:{chain.workspace.name}"
        with self.lock:
            self.live[ref] = chain
        return ref

    def take(self, ref: str) -> _Chain:
        """The chain behind live ref *ref*, which cannot be taken twice."""
        with self.lock:
            chain = self.live.pop(ref, None)
        if chain is None:
            raise _error(
                f"local: live snapshot '{ref}' is unknown or was already consumed",
                "bad_snapshot_ref",
            )
        return chain

    def launcher(self) -> bytes:
        """The words that make a step a process group (:func:`_launcher`), found once."""
        if self._launcher is None:
            self._launcher = _launcher()
        return self._launcher

    def session(self, workspace: Path, launcher: bytes) -> LocalSession:
        """A new session for the chain in *workspace*, ended with the run at the latest."""
        session = LocalSession(workspace, _environment({}), fifos=self.fifos, launcher=launcher)
        with self.lock:
            self.sessions.add(session)
        return session

    def close_sessions(self) -> None:
        with self.lock:
            sessions, self.sessions = self.sessions, set()
        for session in sessions:
            session.kill()
        for session in sessions:
            session.close()

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
            state.close_sessions()
            _remove_tree(state.root)
            shutil.rmtree(state.fifos, ignore_errors=True)

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
        """A step needs ``sh`` and a way to make it a process group; nothing is pulled."""
        _launcher()

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
                raise _error(
                    f"local: cache snapshot '{decision.tag}' of step '{step.key}' is gone",
                    "snapshot_missing",
                )
            if parent is not None and parent.startswith(_LIVE_PREFIX):
                state.take(parent).discard()
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        chain = self._chain(context, state, executor_input)
        try:
            outcome = chain.session.run(
                StepScript(cmd=step.cmd, env=executor_input.env),
                on_output=context.emit_step_log,
                should_cancel=context.should_cancel,
                timeout_seconds=step.timeout_seconds,
            )
        except OSError as exc:
            chain.discard()
            raise _error(
                f"local: cannot start 'sh' for step '{step.key}': {exc.strerror or exc}",
                "spawn_failed",
            ) from exc
        except ValueError as exc:  # a NUL byte, which no command or variable can hold
            chain.discard()
            raise _error(f"local: step '{step.key}': {exc}", "bad_step") from exc
        except BaseException:
            chain.discard()
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
                    state.failed[executor_input.step_id] = chain
            else:
                chain.discard()
            return StepResult(exit_code=outcome.exit_code)
        if isinstance(decision, CacheMissBuildAs):
            chain.session.close()
            self._commit(state, chain.workspace, decision.tag)
            return StepResult(exit_code=0, committed_snapshot=decision.tag)
        return StepResult(exit_code=0, committed_snapshot=state.adopt(chain))

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
            chain = state.failed.pop(executor_input.step_id, None)
        if chain is None:
            chain = self._chain(context, state, executor_input)
        step = executor_input.step
        try:
            return attach(
                shell_script(step.cmd, program, run_command=run_command),
                cwd=chain.workspace,
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
            chain.discard()

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

    def _chain(self, context: PluginContext, state: _Run, executor_input: ExecutorInput) -> _Chain:
        parent = executor_input.parent_snapshot
        if parent is not None and parent.startswith(_LIVE_PREFIX):
            return state.take(parent)
        launcher = state.launcher()
        source = state.source(context, executor_input.workspace_archive_id)
        workspace = state.new_dir("chains")
        workspace.parent.mkdir(exist_ok=True)
        try:
            if parent is None:
                mechanism = clone_tree(source, workspace)
            else:
                snapshot = self.durable_path(state, parent)
                if not snapshot.is_dir():
                    raise _error(
                        f"local: snapshot '{parent}' of step '{executor_input.step.key}' is gone",
                        "snapshot_missing",
                    )
                mechanism = clone_tree(snapshot, workspace)
                lay_over(source, workspace)
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
        return _Chain(workspace, state.session(workspace, launcher))

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


def _launcher() -> bytes:
    try:
        return group_launcher()
    except FileNotFoundError as exc:
        raise _error(
            "local: no `setsid` command on PATH and no Python executable to run each step "
            "as a process group of its own",
            "setsid_missing",
            hint="install util-linux (or busybox), or run the steps with `--runner docker`",
        ) from exc


_EXECUTOR: Final = _LocalExecutor()
atexit.register(_EXECUTOR.end_all)
# Forced exit (second Ctrl-C): the step groups are killed by _process; the directories go.
on_forced_exit(_EXECUTOR.end_all)
# The plugin is this module: its hooks are the shared runner hooks over _EXECUTOR.
RunnerHooks(_MANIFEST, _EXECUTOR).export(globals())
