"""
The ``docker`` runner, the default: each chain runs in one live container of the local
engine (docker-py), following the executor contract.

- A chain starts a container from, in this order, the durable snapshot it
  continues (a fork parent's image or a cache hit's tag) or the step's image (the
  pipeline's default image once the host has patched it in), then lays the run's source
  archive over ``/workspace`` (:mod:`._docker_workspace`). Its first process is a shell
  keeper (:data:`._docker_warm.KEEPER`) that also reaps what steps leave behind.
- The chain runs one ``sh`` session, a single ``exec`` attached through the API, and each
  step is a framed script handed to it (:mod:`._docker_session`, :mod:`._shell_session`):
  the step's env over the image's, ``/workspace`` as working directory, its output
  streamed to the host as it arrives, its exit status behind a per-session random token.
  No ``docker exec`` is paid per step. Whatever a step leaves running is killed when its
  shell exits (``kill -1``: the container is the step's, all but PID 1 and the session),
  as on the local runner.
- What a step's cache decision and outcome do is :class:`~._chain_executor.ChainExecutor`'s,
  as on kubernetes. ``CacheMissNoCommit``: the container is handed to the next step of the
  chain under a *live* ref (``docker-live:<container name>/<step id>``).
  ``CacheMissBuildAs``: the container is committed to the tag, which every consumer
  starts a fresh container from, and removed on a thread of its own, so those consumers
  need not wait (the run's end does). ``CacheHit``: nothing runs and no container starts.
- Before the build starts (``hm_check_runner``) the engine must answer and every chain
  root's image must be stored, pulled as the build's pull policy says
  (:mod:`._docker_pull`): any failure is one error, not a failed first step.
  Once they are, the check begins the roots' containers (:mod:`._docker_warm`), which
  their steps take instead of starting their own; those not taken go with the run that
  took from their check's batch, or on their own a bound after the check, whichever is first.
- A failed, timed-out or cancelled step removes its container (removal is also how a
  running exec and all it started are killed). At ``build_end`` every container and
  ephemeral image of the run is removed: those the executor holds at once, then any other
  found by label; an ``atexit`` handler does the same for runs that never reached
  ``build_end``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Final, final

import attrs

from harmont._errors import PluginRuntimeError
from harmont._executors._chain_executor import ChainExecutor
from harmont._executors._common import RunnerHooks
from harmont._executors._debug_shell import attach, docker_cli, shell_script
from harmont._executors._docker_engine import (
    BUILD_TIMEOUT_SECONDS,
    CHECK_TIMEOUT_SECONDS,
    KIND_CACHE,
    KIND_EPHEMERAL,
    LABEL_KIND,
    LABEL_MANAGED,
    LABEL_RUN,
    PLUGIN_NAME,
    connect,
    engine_error,
    inspect_image,
    labels,
    missing_image,
)
from harmont._executors._docker_pull import ensure_images
from harmont._executors._docker_session import DockerSession
from harmont._executors._docker_warm import (
    WarmContainer,
    WarmStarts,
    container_name,
    create_chain_container,
)
from harmont._executors._docker_workspace import (
    WORKSPACE,
    Workspace,
    WorkspaceCache,
    extract,
    record_manifest,
)
from harmont._executors._shell_session import StepScript
from harmont._orchestrator._cache import EPHEMERAL_REPOSITORY
from harmont._orchestrator._cleanup import FORCE_SECONDS, on_forced_exit
from harmont._version import __version__
from harmont.protocol import (
    API_VERSION,
    HookEventKind,
    HookPhase,
    LifecycleHookSpec,
    PluginManifest,
    StepExecutorSpec,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from docker import APIClient

    from harmont._executors._docker_engine import Connect
    from harmont._orchestrator._preflight import PullPolicy, PullProgress
    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput

__all__ = [
    "DEFAULT_IMAGE",
    "RUNNER",
    "DockerExecutor",
]

#: The runner name steps use to ask for this executor.
RUNNER: Final = "docker"
#: The image of a step when neither it nor its pipeline names one.
DEFAULT_IMAGE: Final = "alpine:latest"

_MANIFEST: Final = PluginManifest(
    api_version=API_VERSION,
    name=PLUGIN_NAME,
    version=__version__,
    description="Runs each chain of steps in one container of the local Docker engine.",
    capabilities=(
        StepExecutorSpec(runner=RUNNER, default=True),
        # Removing a run's containers and images takes a few engine calls per object.
        LifecycleHookSpec(
            events=(HookEventKind.BUILD_END,), phase=HookPhase.AFTER, timeout_ms=120_000
        ),
    ),
)

_LIVE_PREFIX: Final = "docker-live:"
#: How old an untagged image of harmont must be to be removed as a leftover: the time
#: between a commit and its tag is far shorter.
_UNTAGGED_GRACE_SECONDS: Final = 30.0
#: How long ending a run waits for the containers and images being created to land.
_SETTLE_SECONDS: Final = 30.0
#: Removals sent to the engine at once: within docker-py's pool of ten connections.
_REMOVALS_AT_ONCE: Final = 8


@attrs.frozen(kw_only=True)
class _Container:
    """A chain's live container, and the image config its snapshots must restore."""

    id: str
    name: str
    run_id: uuid.UUID
    entrypoint: list[str] | None
    cmd: list[str] | None
    #: The source extracted into it, which its snapshots' manifest lists.
    workspace: Workspace
    #: The chain's shell, which runs every step of the chain in this container.
    session: DockerSession = attrs.field(eq=False, repr=False)


def _split_tag(tag: str) -> tuple[str, str]:
    repository, colon, version = tag.rpartition(":")
    if not colon or "/" in version:
        return tag, "latest"
    return repository, version


@final
class DockerExecutor(ChainExecutor[_Container]):
    """
    The containers and images of the runs in flight in this process.

    Thread-safe: the scheduler runs steps of independent chains at once.

    :param connect: makes the engine clients: the pre-flight check's, and the build's on
        first use.
    """

    plugin = PLUGIN_NAME
    exec_code = "docker_exec"
    snapshot_code = "docker_snapshot"
    live_prefix = _LIVE_PREFIX

    def __init__(self, connect: Connect = connect) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._api: APIClient | None = None
        self._live: dict[str, _Container] = {}
        self._runs: set[uuid.UUID] = set()
        #: Runs inside end_run: nothing more is created for them meanwhile.
        self._ending: set[uuid.UUID] = set()
        #: Engine calls creating an object of a run, in flight; no entry when none.
        self._creating_now: dict[uuid.UUID, int] = {}
        self._workspaces = WorkspaceCache()
        #: Failed steps' containers kept for a debug shell (``hm run -i``), by step id.
        self._failed: dict[uuid.UUID, _Container] = {}
        #: Chain roots' containers the pre-flight check began, until a step takes one.
        self._warm = WarmStarts(_remove_containers)
        #: Containers steps of a run took from ``_warm``, by run: they carry no run label.
        self._taken: dict[uuid.UUID, list[str]] = {}
        #: Removals of stored containers still going on, by run (see :meth:`_release`).
        self._releasing: dict[uuid.UUID, list[threading.Thread]] = {}

    def api(self) -> APIClient:
        """The engine client, connected on first use.

        :raises EngineUnavailable: the engine does not answer.
        """
        with self._lock:
            if self._api is None:
                self._api = self._connect()
            return self._api

    def check(
        self,
        images: Mapping[str, str | None],
        *,
        pull: PullPolicy,
        on_pull: Callable[[PullProgress], None],
    ) -> None:
        """
        The engine answers, and every chain root's image is stored, pulled as *pull* says.

        The check has a client of its own whose requests wait :data:`CHECK_TIMEOUT_SECONDS`
        at most: an engine that hangs stops `hm run` at once, not after docker-py's minute.
        Pulls are not bounded (see :mod:`._docker_pull`). Once the check has passed, its
        client becomes the build's (its requests then wait as long as docker-py's), so
        the build does not connect and ask the engine's API version a second time.

        :raises EngineUnavailable: the engine does not answer, or not in time, or the
            registry of an image to pull cannot be reached.
        :raises ImageUnavailable: an image is missing and may not be pulled, or its
            registry refused it.
        """
        roots = {key: named or DEFAULT_IMAGE for key, named in images.items()}
        api = self._connect(timeout=CHECK_TIMEOUT_SECONDS)
        try:
            ensure_images(api, roots, pull=pull, on_pull=on_pull)
        except BaseException:
            api.close()
            raise
        api.timeout = BUILD_TIMEOUT_SECONDS
        with self._lock:
            if self._api is None:
                self._api = api
            build_api = self._api
        if build_api is not api:
            api.close()
        self._warm.begin(build_api, roots)

    def snapshot_exists(self, tag: str) -> bool:
        """Whether image *tag* is in the local image store."""
        from docker.errors import DockerException, NotFound

        try:
            inspect_image(self.api(), tag)
        except NotFound:
            return False
        except (DockerException, OSError) as exc:
            engine_error(exc, code="docker_image_exists", doing=f"looking up image '{tag}'")
        return True

    def _begin(self, run_id: uuid.UUID) -> None:
        with self._lock:
            self._runs.add(run_id)

    def open_shell(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        program: str,
        run_command: bool,
    ) -> int:
        """
        *program* on the terminal through ``docker exec -it``, in the container the step
        runs in (or the one its failed command left), with the step's env and workdir;
        the container goes afterwards.
        """
        with self._lock:
            self._runs.add(executor_input.run_id)
            container = self._failed.pop(executor_input.step_id, None)
        if container is None:
            container = self._acquire(context, executor_input)
        try:
            step = executor_input.step
            argv, env = _exec_it(container.id, executor_input.env, executor_input.workdir)
            return attach(
                [*argv, *shell_script(step.cmd, program, run_command=run_command)], env=env
            )
        except OSError as exc:
            raise PluginRuntimeError(
                f"docker: cannot run the docker CLI: {exc.strerror}",
                plugin=PLUGIN_NAME,
                code="docker_cli_missing",
            ) from exc
        finally:
            self._remove(container)

    def end_run(self, run_id: uuid.UUID) -> None:
        """
        Remove every container and ephemeral image of *run_id*; errors are ignored.

        Afterwards the executor holds nothing of the run (:meth:`held_runs`), so a process
        that embeds many builds does not grow with each.
        """
        try:
            self._end_run(run_id)
        finally:
            with self._lock:
                # build_end follows the return of every step of the run (the scheduler
                # joins its chains), so nothing creates for it once this is over.
                self._ending.discard(run_id)

    def _end_run(self, run_id: uuid.UUID) -> None:
        with self._settled:
            # Steps may still be creating containers and images (a thread left running at
            # exit): refuse new ones, and let those in flight land so the listing finds them.
            self._ending.add(run_id)
            self._settled.wait_for(lambda: not self._creating_now.get(run_id), _SETTLE_SECONDS)
            self._runs.discard(run_id)
            ended = [ref for ref, c in self._live.items() if c.run_id == run_id]
            failed = [s for s, c in self._failed.items() if c.run_id == run_id]
            held = [self._live.pop(ref) for ref in ended] + [
                self._failed.pop(step_id) for step_id in failed
            ]
            for container in held:
                container.session.close()
            taken = self._taken.pop(run_id, [])
            releasing = self._releasing.pop(run_id, [])
            api = self._api
        self._workspaces.drop_run(run_id)
        # Roots of the run's own checks that nobody took (cache hits) go with it.
        unused = self._warm.end_run(run_id)
        if api is None:
            return
        # Not earlier: a run that never reached the engine must not pay for importing docker.
        from docker.errors import DockerException

        ids = list(dict.fromkeys([container.id for container in held] + taken + unused))
        deadline = time.monotonic() + _SETTLE_SECONDS
        # If the engine went away, `hm cache clean` finds the leftovers by label.
        with contextlib.suppress(DockerException, OSError):
            # The sweep's listing also waits for the containers being released.
            _sweep_run(api, run_id, deadline, held=ids)
        for thread in releasing:
            thread.join(max(0.0, deadline - time.monotonic()))

    def force_end(self) -> None:
        """
        Forced exit: force-remove every container, then ephemeral image, of the runs in flight.

        Creations in flight are not waited for: what they leave is `hm cache clean`'s.
        """
        with self._lock:
            api, run_ids = self._api, list(self._runs)
        if api is None:
            return
        from docker.errors import DockerException

        deadline = time.monotonic() + FORCE_SECONDS
        with contextlib.suppress(DockerException, OSError):
            _remove_containers(api, self._warm.forced(api))
        for run_id in run_ids:
            with contextlib.suppress(DockerException, OSError):
                _sweep_run(api, run_id, deadline)

    def held_runs(self) -> frozenset[uuid.UUID]:
        """The runs this executor holds anything of: in flight, ending, creating, cached."""
        with self._lock:
            live = {container.run_id for container in self._live.values()}
            held = self._runs | self._ending | self._creating_now.keys() | live
            held |= self._taken.keys() | self._releasing.keys()
        return frozenset(held | self._workspaces.runs())

    def end_all(self) -> None:
        """:meth:`end_run` for every run this process still holds (the exit safety net)."""
        with self._lock:
            run_ids = list(self._runs)
            api = self._api
        for run_id in run_ids:
            self.end_run(run_id)
        unused = self._warm.close()
        if api is not None and unused:
            from docker.errors import DockerException

            with contextlib.suppress(DockerException, OSError):
                _remove_containers(api, unused)

    @contextlib.contextmanager
    def _creating(self, run_id: uuid.UUID) -> Iterator[None]:
        """Bracket an engine call that creates an object of *run_id* (see :meth:`end_run`)."""
        with self._settled:
            if run_id in self._ending:
                raise PluginRuntimeError(
                    f"docker: run {run_id} has ended; nothing more is created for it",
                    plugin=PLUGIN_NAME,
                    code="docker_run_ended",
                )
            self._creating_now[run_id] = self._creating_now.get(run_id, 0) + 1
        try:
            yield
        finally:
            with self._settled:
                self._creating_now[run_id] -= 1
                if not self._creating_now[run_id]:
                    del self._creating_now[run_id]
                self._settled.notify_all()

    def _acquire(self, context: PluginContext, executor_input: ExecutorInput) -> _Container:
        step = executor_input.step
        parent = executor_input.parent_snapshot
        if parent is not None and parent.startswith(_LIVE_PREFIX):
            return self._take_live(step.key, parent)
        image = parent or step.image or DEFAULT_IMAGE
        workspace = self._workspaces.get(
            context, executor_input.run_id, executor_input.workspace_archive_id
        )
        if parent is None:
            warm = self._warm.take(executor_input.run_id, step.key, image)
            if warm is not None:
                taken = self._take_warm(context, executor_input, warm, workspace)
                if taken is not None:
                    return taken
        container = self._start(executor_input, image, workspace, from_snapshot=parent is not None)
        try:
            self._extract(context, container, from_snapshot=parent is not None)
        except BaseException:
            self._remove(container)
            raise
        return container

    def _take_warm(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        warm: WarmContainer,
        workspace: Workspace,
    ) -> _Container | None:
        """
        *warm* as the chain's container, the source laid over it while it may still be
        starting; None (and it is removed) if it did not start: the step starts its own.
        """
        assert warm.id is not None  # take() hands back created containers only
        run_id = executor_input.run_id
        with self._lock:
            self._taken.setdefault(run_id, []).append(warm.id)
        container = self._container(
            self.api(), warm.id, warm.name, run_id, config=warm.config, workspace=workspace
        )
        try:
            self._extract(context, container, from_snapshot=False)
            started = warm.wait_started()
        except BaseException:
            self._remove(container)
            raise
        if not started:
            self._remove(container)
            return None
        return container

    def _extract(
        self, context: PluginContext, container: _Container, *, from_snapshot: bool
    ) -> None:
        """Lay the run's source over *container*'s workspace (see :func:`extract`)."""
        extract(
            self.api(),
            container.id,
            container.workspace,
            from_snapshot=from_snapshot,
            run=lambda cmd: (
                container.session.run(
                    StepScript(cmd=cmd, env={}),
                    on_output=lambda _stream, _data: None,
                    should_cancel=context.should_cancel,
                    stop=lambda: self._stop(container),
                ).exit_code
            ),
        )

    def _container(
        self,
        api: APIClient,
        container_id: str,
        name: str,
        run_id: uuid.UUID,
        *,
        config: dict[str, Any],
        workspace: Workspace,
    ) -> _Container:
        """The chain container *container_id* of *run_id*, created from an image of *config*."""
        return _Container(
            id=container_id,
            name=name,
            run_id=run_id,
            entrypoint=config.get("Entrypoint"),
            cmd=config.get("Cmd"),
            workspace=workspace,
            session=DockerSession(api, container_id, workdir=WORKSPACE),
        )

    def _start(
        self,
        executor_input: ExecutorInput,
        image: str,
        workspace: Workspace,
        *,
        from_snapshot: bool,
    ) -> _Container:
        from docker.errors import DockerException, NotFound

        api = self.api()
        run_id = executor_input.run_id
        key = executor_input.step.key
        try:
            config = inspect_image(api, image)["Config"] or {}
        except NotFound as exc:
            if not from_snapshot:
                raise missing_image(key, image) from exc
            raise PluginRuntimeError(
                f"step '{key}': snapshot image '{image}' left the local image store "
                "while the run was using it",
                plugin=PLUGIN_NAME,
                code="docker_snapshot",
                hint="something removed it mid-run (`hm cache clean`?); run again",
            ) from exc
        except (DockerException, OSError) as exc:
            engine_error(exc, code="docker_image_exists", doing=f"looking up image '{image}'")
        name = container_name(run_id, key)
        with self._creating(run_id):
            return self._create(
                api, executor_input, image, name=name, config=config, workspace=workspace
            )

    def _create(
        self,
        api: APIClient,
        executor_input: ExecutorInput,
        image: str,
        *,
        name: str,
        config: dict[str, Any],
        workspace: Workspace,
    ) -> _Container:
        from docker.errors import DockerException

        run_id = executor_input.run_id
        try:
            created = create_chain_container(api, image, name=name, owner=run_id)
        except (DockerException, OSError) as exc:
            engine_error(
                exc, code="docker_start", doing=f"creating container '{name}' from '{image}'"
            )
        container = self._container(
            api, created["Id"], name, run_id, config=config, workspace=workspace
        )
        try:
            api.start(container.id)
        except (DockerException, OSError) as exc:
            self._remove(container)
            engine_error(exc, code="docker_start", doing=f"starting container '{name}'")
        return container

    def _store(self, container: _Container, tag: str) -> None:
        """
        Store *container* as image *tag*, leaving no untagged image behind.

        A cache image is committed untagged, then tagged only if *tag* is still free: when
        concurrent runs cache the same step, the first tag stays (snapshots of one tag are
        equivalent) and the later images are removed, where committing straight to the tag
        would leave the one it displaced untagged. A run whose image lost the tag to a
        later one removes its own; one that checked before the other tagged cannot know at
        once, and removes it when it ends (:func:`_remove_ephemeral_images`). A fork
        parent's ephemeral tag names its step execution, which no other run can hold, so
        it is committed straight to its tag: one engine call instead of four.
        """
        from docker.errors import DockerException, NotFound

        repository, version = _split_tag(tag)
        ephemeral = repository.startswith(f"{EPHEMERAL_REPOSITORY}/")
        kind = KIND_EPHEMERAL if ephemeral else KIND_CACHE
        # Give the snapshot back the image's own entrypoint and command, not the keeper's.
        # The engine inherits the container's command when both come empty, so a snapshot
        # of an image with neither gets `sh`, which is what such images run anyway.
        entrypoint = container.entrypoint or []
        cmd = container.cmd or ([] if entrypoint else ["sh"])
        conf = {"Labels": labels(kind, container.run_id), "Entrypoint": entrypoint, "Cmd": cmd}
        api = self.api()
        image = None
        try:
            with self._creating(container.run_id):
                record_manifest(api, container.id, container.workspace)
                if ephemeral:
                    api.commit(container.id, repository=repository, tag=version, conf=conf)
                    return
                image = api.commit(container.id, conf=conf)["Id"]
                try:
                    stored = inspect_image(api, tag)["Id"]
                except NotFound:
                    stored = None
                if stored is None:
                    api.tag(image, repository, version)
                    # A run that tagged in the same instant, after us, took the tag: then
                    # ours is the untagged one, and ours to remove.
                    if inspect_image(api, tag)["Id"] == image:
                        image = None  # tagged: it is the snapshot now
        except (DockerException, OSError) as exc:
            engine_error(exc, code="docker_commit", doing=f"committing snapshot '{tag}'")
        finally:
            if image is not None:  # another run stored the tag first, or tagging failed
                _remove_image(api, image)

    def _remove(self, container: _Container) -> None:
        container.session.close()
        self._stop(container)

    def _release(self, container: _Container) -> None:
        """
        Remove the stored *container* on a thread of its own: the step returns its snapshot
        at once, so the chains that start from it do not wait for the removal (hundreds of
        ms: the engine stops it, unmounts, tears its network down); the run's end does.
        """
        container.session.close()
        thread = threading.Thread(
            target=self._stop, args=(container,), name="hm-docker-release", daemon=True
        )
        with self._lock:
            # A step abandoned past its run's end removes its container itself.
            ended = container.run_id not in self._runs or container.run_id in self._ending
            if not ended:
                # Started before the run's end can see it, which joins it.
                thread.start()
                self._releasing.setdefault(container.run_id, []).append(thread)
        if ended:
            self._stop(container)

    def _stop(self, container: _Container) -> None:
        """Remove *container*, killing all it runs; its session sees its stream end."""
        api = self._api
        if api is not None:
            _force_remove_container(api, container.id)


def _exec_it(
    container_id: str, step_env: Mapping[str, str], workdir: str
) -> tuple[list[str], dict[str, str]]:
    """
    ``docker exec -it`` into *container_id*, and the CLI's environment.

    Values travel in the CLI's environment, named by ``-e NAME`` (the CLI reads them from
    there), so no value, a secret's included, shows in a process listing; only names that
    would steer the CLI itself (``DOCKER_*``) are passed with their value.
    """
    import os

    argv = [docker_cli(), "exec", "-it", "-w", workdir]
    env = dict(os.environ)
    for name, value in step_env.items():
        if name.startswith("DOCKER_"):
            argv += ["-e", f"{name}={value}"]
        else:
            argv += ["-e", name]
            env[name] = value
    return [*argv, container_id], env


def _force_remove_container(api: APIClient, container_id: str) -> None:
    from docker.errors import DockerException, NotFound

    try:
        api.remove_container(container_id, force=True, v=True)
    except NotFound:
        pass
    except (DockerException, OSError):
        pass  # best effort on cleanup paths; build_end and `hm cache clean` retry by label


def _sweep_run(
    api: APIClient, run_id: uuid.UUID, deadline: float, *, held: Sequence[str] = ()
) -> None:
    """
    Force-remove the containers of *run_id* until none is left, then its ephemeral images.

    The containers the executor *held* go first, without asking the engine which they
    are; the listing by label then finds any other. A step being stopped may be removing
    its own container at this moment, and the images are free only once every container
    of the run is gone: the listing repeats until it comes back empty or *deadline*
    (``time.monotonic()``) passes. An engine error listing containers or images
    propagates; one removing a container does not (:func:`_force_remove_container`): the
    next listing finds the container again. Any other error of a removal propagates once
    every removal of the batch has ended.
    """
    _remove_containers(api, held)
    run_label = {"label": f"{LABEL_RUN}={run_id}"}
    while found := api.containers(all=True, filters=run_label):
        _remove_containers(api, [container["Id"] for container in found])
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    _remove_ephemeral_images(api, run_id)


def _remove_containers(api: APIClient, container_ids: Sequence[str]) -> None:
    """
    Force-remove *container_ids* all at once.

    The engine takes a few hundred milliseconds per removal (kill, wait, unmount, network
    teardown) and does them in parallel, so a run that ends with many chains' containers
    waits for about one removal, not the sum.
    """
    if len(container_ids) <= 1:
        for container_id in container_ids:
            _force_remove_container(api, container_id)
        return
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(container_ids), _REMOVALS_AT_ONCE)
    with ThreadPoolExecutor(workers, thread_name_prefix="hm-docker-remove") as pool:
        # Consumed, so a removal's error is raised here as it is for a single container;
        # leaving the pool still waits for every other removal, so none is skipped.
        list(pool.map(functools.partial(_force_remove_container, api), container_ids))


def _remove_ephemeral_images(api: APIClient, run_id: uuid.UUID) -> None:
    """
    Remove the fork snapshots of *run_id* and its cache images that lost their tag;
    engine errors propagate to the caller.

    At its end a run has no commit between commit and tag, so every untagged image of its
    own is one a concurrent run's equivalent snapshot displaced: no grace is needed.
    """
    ephemeral = {"label": [f"{LABEL_RUN}={run_id}", f"{LABEL_KIND}={KIND_EPHEMERAL}"]}
    for image in api.images(filters=ephemeral):
        for tag in image.get("RepoTags") or [image["Id"]]:
            _remove_image(api, tag)
    own_untagged = {"label": [f"{LABEL_MANAGED}=1", f"{LABEL_RUN}={run_id}"], "dangling": True}
    for image in api.images(filters=own_untagged):
        _remove_image(api, image["Id"])
    _remove_untagged(api)


def _remove_untagged(api: APIClient) -> None:
    """
    Remove every untagged image harmont made, whichever run made it.

    A snapshot loses its tag when a concurrent run's equivalent one takes it (see
    ``DockerExecutor._store``), or when a run dies between commit and tag. One still in
    use by another run's container is refused by the engine and left for the run that
    ends after it. A young one may be between its commit and its tag: it is left alone.
    """
    untagged = {"label": f"{LABEL_MANAGED}=1", "dangling": True}
    settled = time.time() - _UNTAGGED_GRACE_SECONDS
    for image in api.images(filters=untagged):
        if image.get("Created", 0) < settled:
            _remove_image(api, image["Id"])


def _remove_image(api: APIClient, ref: str) -> None:
    from docker.errors import DockerException

    # Failing means in use by a container of another run, or gone already.
    with contextlib.suppress(DockerException, OSError):
        api.remove_image(ref)


_EXECUTOR: Final = DockerExecutor()
atexit.register(_EXECUTOR.end_all)
on_forced_exit(_EXECUTOR.force_end)
# The plugin is this module: its hooks are the shared runner hooks over _EXECUTOR.
RunnerHooks(_MANIFEST, _EXECUTOR).export(globals())
