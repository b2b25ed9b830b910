"""
The ``kubernetes`` runner: each chain runs in one pod of the cluster in effect, following
the executor contract. Needs the extra: ``pip install 'harmont[kubernetes]'``.

- A chain starts a pod from its step's image (the pipeline's default image once the host
  has patched it in), pulled by the cluster under the chain's ``runner_args["pull"]``
  (``missing`` → ``IfNotPresent``, ``always``, ``never``). The pod must run within the
  chain's start timeout; a pod the cluster cannot start fails its step with the cluster's
  reason (:mod:`._kube_pods`).
- The run's source archive travels through the exec stream into ``/workspace`` (no
  volume to provision); the image needs ``sh``, ``tar`` and ``head``.
- The chain runs one ``sh`` session, a single exec over the apiserver's websocket, and
  each step is a framed script handed to it (:mod:`._kube_session`,
  :mod:`._shell_session`): the same per-step semantics as the docker runner.
- The run's secrets are not in those scripts: every pod of the run references one Secret
  per namespace holding them (:mod:`._kube_secret`), so its container has them from the
  start; a step's script sets the rest of its env.
- Kubernetes has no container commit, so a durable snapshot is **paths, not a whole
  file system**: a tar of the chain's ``snapshot_paths`` (``/workspace`` and ``$HOME`` by
  default, more through ``runner_args``) streamed out of the pod. A fork child, or a
  chain continuing a cache hit, starts a fresh pod from its image and gets that tar laid
  over ``/``: what a step installed elsewhere (``apk add`` into ``/usr``...) is not in it.
  Fork parents' tars live in memory for the run; cache snapshots are tar files in
  ``$XDG_CACHE_HOME/harmont/kubernetes/`` (the cluster has no image store we may write).
- ``CacheMissNoCommit`` hands the pod to the next step of the chain under a live ref.
- Every pod and Secret is labelled with the run id; pods are deleted with zero grace: a
  failed, timed-out or cancelled step's at once, the rest with the Secret at
  ``build_end``, at process exit, or on a forced exit; ``hm cache clean`` deletes those
  of runs that were killed.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import tarfile
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

import attrs

from harmont._errors import PluginRuntimeError
from harmont._executors._archive import read_archive
from harmont._executors._chain_executor import ChainExecutor
from harmont._executors._common import RunnerHooks
from harmont._executors._debug_shell import attach, shell_script
from harmont._executors._docker_workspace import (
    MANIFEST_PATH,
    Workspace,
    delete_script,
    stale_paths,
)
from harmont._executors._kube_api import (
    PLUGIN_NAME,
    PULL_POLICIES,
    KubeSettings,
    api_error,
    call,
    load_client,
)
from harmont._executors._kube_pods import (
    create_pod,
    delete_pod,
    delete_run,
    pod_manifest,
    wait_running,
)
from harmont._executors._kube_secret import (
    ENV_NAME,
    create_secret,
    secret_name,
    secret_values,
)
from harmont._executors._kube_session import WORKSPACE, ExecFailed, KubeSession, exec_bytes
from harmont._executors._shell_session import quote
from harmont._orchestrator._cache import CACHE_REPOSITORY, EPHEMERAL_REPOSITORY, sanitise
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
    from collections.abc import Mapping

    # attrs reads no annotation at runtime here (postponed annotations): typing only.
    from kubernetes.client import ApiClient  # noqa: TC004

    from harmont._plugins._context import PluginContext
    from harmont.protocol import ExecutorInput

__all__ = ["DEFAULT_IMAGE", "RUNNER", "KubernetesExecutor", "snapshot_store"]

#: The runner name steps use to ask for this executor.
RUNNER: Final = "kubernetes"
#: The image of a step when neither it nor its pipeline names one, as on docker.
DEFAULT_IMAGE: Final = "alpine:latest"

_MANIFEST: Final = PluginManifest(
    api_version=API_VERSION,
    name=PLUGIN_NAME,
    version=__version__,
    description=(
        "Runs each chain of steps in one pod of the Kubernetes cluster in effect "
        "(pip install 'harmont[kubernetes]'). Forks and caches snapshot the chain's "
        "snapshot_paths (/workspace and $HOME by default), not the whole file system."
    ),
    capabilities=(
        StepExecutorSpec(runner=RUNNER, default=False),
        LifecycleHookSpec(
            events=(HookEventKind.BUILD_END,), phase=HookPhase.AFTER, timeout_ms=120_000
        ),
    ),
)

_LIVE_PREFIX: Final = "kubernetes-live:"
#: Pod names are DNS labels: at most 63 characters.
_NAME_LIMIT: Final = 50
#: How long ending a run waits for its pods to be gone.
_SETTLE_SECONDS: Final = 30.0
#: How long the pre-flight check waits for the apiserver.
_CHECK_SECONDS: Final = 10.0
#: Where a debug shell's env file is written, under a name of its own and mode 600 (the
#: pod's user may not write ``/``), then read and deleted by the shell.
_SHELL_ENV_DIR: Final = "/tmp"
#: Where snapshots made before the source files were listed beside them list theirs.
_OLD_MANIFEST: Final = MANIFEST_PATH.lstrip("/")


def snapshot_store() -> Path:
    """Where cache snapshots persist: ``$XDG_CACHE_HOME/harmont/kubernetes`` (or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "harmont" / "kubernetes"


def _tag_path(tag: str) -> Path:
    """
    ``<store>/<repository>/<name>/<version>.tar`` for a cache tag; ``<version>.image``
    beside it names the image its chain ran, which the tar's consumers start from, and
    ``<version>.files`` lists the source files laid in it (those a later source lacks go).
    """
    repository, _, rest = tag.partition("/")
    name, _, version = rest.partition(":")
    parts = (repository, name, version)
    if not all(parts) or any(p in {".", ".."} or "/" in p for p in parts):
        raise PluginRuntimeError(
            f"kubernetes: snapshot tag '{tag}' is not of the form <repository>/<name>:<version>",
            plugin=PLUGIN_NAME,
            code="kube_snapshot",
        )
    return snapshot_store() / repository / name / f"{version}.tar"


def _shell_path(path: str) -> bytes:
    """*path* as a shell word; a leading ``$HOME`` is expanded in the pod."""
    if path.startswith("$HOME"):
        rest = path.removeprefix("$HOME")
        return b'"$HOME"' + (quote(rest) if rest else b"")
    return quote(path)


def _pack_command(paths: tuple[str, ...]) -> list[str]:
    """The command that writes a tar of *paths* (those that exist) to stdout, from ``/``."""
    words = b" ".join(_shell_path(p) for p in paths).decode("utf-8", "surrogateescape")
    script = (
        f'set --; for p in {words}; do [ -e "$p" ] && set -- "$@" "${{p#/}}"; done; '
        'cd / && exec tar -cf - "$@"'
    )
    return ["sh", "-c", script]


def _unpack(size: int, into: str, *, gzip: bool = False) -> str:
    """
    The ``sh`` command that reads *size* bytes of tar from stdin into *into*.

    It must be the only reader of its exec's stdin: busybox's ``head -c`` reads through
    stdio, so it may take bytes past *size* off the stream, which a later reader would
    then wait for forever.
    """
    flags = "-xzf" if gzip else "-xf"
    return f"mkdir -p {into} && head -c {size} | tar {flags} - -C {into}"


def _script(*commands: str) -> list[str]:
    """One exec running *commands* in turn, stopping at the first that fails."""
    return ["sh", "-c", " && ".join(commands)]


def _listed(names: bytes) -> frozenset[str]:
    """The paths of a file list as :func:`_listing` writes it."""
    return frozenset(os.fsdecode(name) for name in names.split(b"\0") if name)


def _listing(files: frozenset[str]) -> bytes:
    """*files* as one NUL-separated list (names may hold any byte but NUL)."""
    return b"\0".join(sorted(os.fsencode(name) for name in files))


def _old_manifest(snapshot: bytes) -> frozenset[str]:
    """The source files a snapshot made by an older harmont lists inside it, if it does."""
    errors = (tarfile.TarError, KeyError, OSError)
    with contextlib.suppress(*errors), tarfile.open(fileobj=io.BytesIO(snapshot)) as tar:
        member = tar.extractfile(_OLD_MANIFEST)
        if member is not None:
            return _listed(member.read())
    return frozenset()


def _without_secrets(env: Mapping[str, str], context: PluginContext) -> dict[str, str]:
    """*env* less the secrets its pod's container has from the run's Secret."""
    carried = secret_values(env, context.secret_names)
    return {name: value for name, value in env.items() if name not in carried}


def shell_exports(env: Mapping[str, str], secret_names: frozenset[str]) -> bytes:
    """
    The ``export`` lines a debug shell sources for *env*: never a secret (one of
    *secret_names*, whether or not its pod's Secret could carry it), and only the names
    that the Secret's filter accepts (:data:`~._kube_secret.ENV_NAME`), which are valid shell.
    """
    return b"".join(
        b"export " + name.encode() + b"=" + quote(value) + b"\n"
        for name, value in env.items()
        if name not in secret_names and ENV_NAME.match(name)
    )


def _pod_name(run_id: uuid.UUID, step_key: str) -> str:
    """A DNS label: run prefix, the step's key, a random suffix (retries, forks)."""
    key = sanitise(step_key).replace("_", "-")
    base = f"hm-{run_id.hex[:8]}-{key}"[:_NAME_LIMIT].rstrip("-")
    import secrets  # here: it imports hashlib's OpenSSL, which a run without pods never needs

    return f"{base}-{secrets.token_hex(3)}"


@attrs.frozen(kw_only=True)
class _Pod:
    """A chain's running pod and its shell session."""

    name: str
    namespace: str
    run_id: uuid.UUID
    #: The image the chain's pods run: a snapshot records it, its consumers start from it.
    image: str
    #: The source archive laid in the pod's workspace.
    source: uuid.UUID
    api: ApiClient = attrs.field(eq=False, repr=False)
    settings: KubeSettings
    session: KubeSession = attrs.field(eq=False, repr=False)


@attrs.define
class _Run:
    """What one run holds: where its pods are, its fork parents' tars."""

    #: (context, namespace) of every place the run created pods in.
    places: dict[tuple[str | None, str], ApiClient] = attrs.field(factory=dict)
    #: The places that hold the run's Secret.
    secret_places: set[tuple[str | None, str]] = attrs.field(factory=set)
    #: Fork parents' snapshots: tag to (image, tar, source files laid in it).
    ephemeral: dict[str, tuple[str, bytes, frozenset[str]]] = attrs.field(factory=dict)
    workspaces: dict[uuid.UUID, Workspace] = attrs.field(factory=dict)
    ending: bool = False


@final
class KubernetesExecutor(ChainExecutor[_Pod]):
    """The pods and snapshots of the runs in flight in this process; thread-safe."""

    plugin = PLUGIN_NAME
    exec_code = "kube_exec"
    snapshot_code = "kube_snapshot"
    live_prefix = _LIVE_PREFIX

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str | None, tuple[ApiClient, str]] = {}
        self._live: dict[str, _Pod] = {}
        self._runs: dict[uuid.UUID, _Run] = {}
        #: Pods of failed steps kept for a debug shell, by step id.
        self._failed: dict[uuid.UUID, _Pod] = {}
        #: The build's pull policy, as the host's pre-flight check passed it.
        self._pull = "missing"

    def client(self, context: str | None) -> tuple[ApiClient, str]:
        """The client of *context* and its namespace, loaded once per context."""
        with self._lock:
            found = self._clients.get(context)
        if found is None:
            found = load_client(context)
            with self._lock:
                found = self._clients.setdefault(context, found)
        return found

    def check(self, images: Mapping[str, str | None], **options: object) -> None:
        """
        The extra is installed, the kubeconfig loads and the apiserver answers.

        Images are the cluster's to pull: a missing one fails its step with the reason.
        A ``pull`` policy the host passes (``missing``, ``always``, ``never``: ``--pull``)
        becomes the pods' ``imagePullPolicy`` unless a chain's ``runner_args`` names one.
        """
        pull = options.get("pull")
        if isinstance(pull, str) and pull in PULL_POLICIES:
            self._pull = str(pull)
        settings = KubeSettings.from_runner_args("", None)
        api, namespace = self.client(settings.context)
        try:
            path = f"/api/v1/namespaces/{namespace}/pods"
            call(api, "GET", path, query=[("limit", "1")], timeout=_CHECK_SECONDS)
        except Exception as exc:
            api_error(exc, code="kube_check", doing=f"listing pods in '{namespace}'")

    def snapshot_exists(self, tag: str) -> bool:
        """Whether cache snapshot *tag* is stored (ephemeral tags never hit)."""
        return tag.startswith(f"{CACHE_REPOSITORY}/") and _tag_path(tag).is_file()

    def _run(self, run_id: uuid.UUID) -> _Run:
        with self._lock:
            return self._runs.setdefault(run_id, _Run())

    def _begin(self, run_id: uuid.UUID) -> None:
        self._run(run_id)

    def _step_env(self, context: PluginContext, executor_input: ExecutorInput) -> dict[str, str]:
        """The step's env less the run's secrets: its pod has those from the run's Secret."""
        return _without_secrets(executor_input.env, context)

    def open_shell(
        self,
        context: PluginContext,
        executor_input: ExecutorInput,
        program: str,
        run_command: bool,
    ) -> int:
        """
        *program* on the terminal through ``kubectl exec -it``, in a pod where the step
        runs (the one its failed command left, or a new one from its parent's state), with
        the step's env and workdir; the pod goes afterwards.

        No value is in an argv, here (``ps`` shows kubectl's) or in the pod: the run's
        secrets are in the pod's environment from its Secret, as for the steps, and the
        rest of the step's env is written into a file of the pod through an exec's stdin
        (:meth:`_write_shell_env`) that the interactive exec sources and deletes.
        """
        import shutil

        kubectl = shutil.which("kubectl")
        if kubectl is None:
            raise PluginRuntimeError(
                "kubernetes: a shell in a pod needs kubectl, and none is on PATH",
                plugin=PLUGIN_NAME,
                code="kube_cli_missing",
                hint="install kubectl, or debug on --runner local",
            )
        self._run(executor_input.run_id)
        with self._lock:
            pod = self._failed.pop(executor_input.step_id, None)
        if pod is None:
            pod = self._acquire(context, executor_input)
        try:
            exports = shell_exports(executor_input.env, context.secret_names)
            env_file = self._write_shell_env(pod, exports)
            argv = [kubectl, "exec", "-it", "-n", pod.namespace]
            if pod.settings.context is not None:
                argv += ["--context", pod.settings.context]
            workdir = quote(executor_input.workdir).decode("utf-8", "surrogateescape")
            enter = f'. {env_file} && rm -f {env_file} && cd {workdir} && exec "$@"'
            script = shell_script(executor_input.step.cmd, program, run_command=run_command)
            return attach(
                [*argv, pod.name, "--", "sh", "-c", enter, "sh", *script], env=dict(os.environ)
            )
        except OSError as exc:
            raise PluginRuntimeError(
                f"kubernetes: cannot run kubectl: {exc.strerror}",
                plugin=PLUGIN_NAME,
                code="kube_cli_missing",
            ) from exc
        finally:
            self._remove(pod)

    def _write_shell_env(self, pod: _Pod, exports: bytes) -> str:
        """
        Write *exports* into a file of *pod* of its own name; its path.

        The file is written under a temporary name and renamed once it holds every byte,
        and the exec reports the renamed file's size, checked here: so the interactive
        exec, started only after this returns, finds it whole or not at all (and then
        fails loudly, as ``.`` of a missing file does, rather than opening without the env).
        """
        import secrets  # as in _pod_name

        path = f"{_SHELL_ENV_DIR}/hm-shell-env-{secrets.token_hex(8)}"
        write = (
            f"mkdir -p {_SHELL_ENV_DIR} && umask 077 && head -c {len(exports)} > {path}.part"
            f" && mv {path}.part {path} && wc -c < {path}"
        )
        written = self._exec(pod, ["sh", "-c", write], exports, "writing the shell's env")
        if written.strip() != str(len(exports)).encode():
            raise PluginRuntimeError(
                f"kubernetes: pod '{pod.name}': the shell's env file holds "
                f"{written.strip().decode('utf-8', 'replace') or 'nothing'} of "
                f"{len(exports)} bytes",
                plugin=PLUGIN_NAME,
                code="kube_exec",
                hint="the pod's file system may be full or read-only; run again",
            )
        return path

    def _snapshot(
        self, run_id: uuid.UUID, step_key: str, tag: str
    ) -> tuple[str, bytes, frozenset[str]]:
        """
        The image and tar of durable snapshot *tag* (a fork parent's, or a cache hit's),
        and the source files that were laid in it (what this run's source may lack).
        """
        if tag.startswith(f"{EPHEMERAL_REPOSITORY}/"):
            found = self._run(run_id).ephemeral.get(tag)
            if found is not None:
                return found
        else:
            path = _tag_path(tag)
            with contextlib.suppress(OSError):
                image, data = path.with_suffix(".image").read_text(), path.read_bytes()
                try:
                    files = _listed(path.with_suffix(".files").read_bytes())
                except FileNotFoundError:
                    files = _old_manifest(data)
                return image, data, files
        raise PluginRuntimeError(
            f"kubernetes: step '{step_key}': snapshot '{tag}' is gone",
            plugin=PLUGIN_NAME,
            code="kube_snapshot",
            hint="something removed it mid-run (`hm cache clean`?); run again",
        )

    def _acquire(self, context: PluginContext, executor_input: ExecutorInput) -> _Pod:
        step = executor_input.step
        parent = executor_input.parent_snapshot
        if parent is not None and parent.startswith(_LIVE_PREFIX):
            return self._take_live(step.key, parent)
        settings = KubeSettings.from_runner_args(step.key, step.runner_args, pull=self._pull)
        run_id = executor_input.run_id
        image = step.image or DEFAULT_IMAGE
        snapshot = None
        laid: frozenset[str] = frozenset()
        if parent is not None:
            image, snapshot, laid = self._snapshot(run_id, step.key, parent)
        api, context_namespace = self.client(settings.context)
        namespace = settings.namespace or context_namespace
        name = _pod_name(run_id, step.key)
        with self._lock:
            run = self._runs.setdefault(run_id, _Run())
            if run.ending:
                raise PluginRuntimeError(
                    f"kubernetes: run {run_id} has ended; nothing more is created for it",
                    plugin=PLUGIN_NAME,
                    code="kube_run_ended",
                )
            place = (settings.context, namespace)
            run.places[place] = api
            has_secret = place in run.secret_places
        secret = None
        values = secret_values(executor_input.env, context.secret_names)
        if values:
            secret = secret_name(run_id)
            if not has_secret:
                create_secret(api, namespace, run_id, values)
                with self._lock:
                    run.secret_places.add(place)
        created = create_pod(
            api,
            namespace,
            pod_manifest(
                name,
                image=image,
                run_id=run_id,
                pull_policy=settings.pull_policy,
                secret=secret,
            ),
        )
        pod = _Pod(
            name=name,
            namespace=namespace,
            run_id=run_id,
            image=image,
            source=executor_input.workspace_archive_id,
            api=api,
            settings=settings,
            session=KubeSession(api, name, namespace),
        )
        try:
            wait_running(api, namespace, created, step_key=step.key, seconds=settings.start_seconds)
            self._prepare(context, pod, executor_input, snapshot=snapshot, laid=laid)
        except BaseException:
            self._remove(pod)
            raise
        return pod

    def _exec(self, pod: _Pod, command: list[str], data: bytes, doing: str) -> bytes:
        try:
            return exec_bytes(pod.api, pod.name, pod.namespace, command, data=data, doing=doing)
        except ExecFailed as exc:
            raise PluginRuntimeError(
                f"kubernetes: pod '{pod.name}': {exc}", plugin=PLUGIN_NAME, code="kube_exec"
            ) from exc

    def _prepare(
        self,
        context: PluginContext,
        pod: _Pod,
        executor_input: ExecutorInput,
        *,
        snapshot: bytes | None,
        laid: frozenset[str],
    ) -> None:
        """
        Lay *snapshot* over ``/``, then the run's source over ``/workspace``, deleting the
        files of *laid* (the source laid in the snapshot) that this source lacks.

        What was laid is known here, not read back from the pod: a fork parent's is this
        run's source, a cached snapshot's is listed beside its tar. So a pod costs one
        exec for its source and one for its snapshot, each connection and process counted.
        """
        run = self._run(executor_input.run_id)
        archive_id = executor_input.workspace_archive_id
        workspace = run.workspaces.get(archive_id)
        if workspace is None:
            workspace = Workspace.from_archive(read_archive(context, archive_id))
            run.workspaces[archive_id] = workspace
        if snapshot is not None:
            self._exec(pod, _script(_unpack(len(snapshot), "/")), snapshot, "restoring")
        commands = []
        stale = stale_paths(laid, workspace.files)
        if stale:
            commands.append(f"( {delete_script(stale)} )")
        if workspace.archive:
            commands.append(_unpack(len(workspace.archive), WORKSPACE, gzip=True))
        if commands:
            doing = f"laying the source in {WORKSPACE}"
            self._exec(pod, _script(*commands), workspace.archive, doing)

    def _store(self, pod: _Pod, tag: str) -> None:
        """Tar the pod's snapshot paths as *tag*: in memory (ephemeral) or the cache."""
        data = self._exec(pod, _pack_command(pod.settings.snapshot_paths), b"", "packing")
        with self._lock:
            run = self._runs.get(pod.run_id)
        workspace = None if run is None else run.workspaces.get(pod.source)
        if run is None or workspace is None:
            # The run ended (cancelled, or its build ended) while the pod was being packed.
            raise PluginRuntimeError(
                f"kubernetes: run {pod.run_id} has ended; snapshot '{tag}' is not kept",
                plugin=PLUGIN_NAME,
                code="kube_run_ended",
            )
        laid = workspace.files
        if tag.startswith(f"{EPHEMERAL_REPOSITORY}/"):
            run.ephemeral[tag] = (pod.image, data, laid)
            return
        path = _tag_path(tag)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Its companions first: a tar that exists always has its image and files beside it.
        path.with_suffix(".image").write_text(pod.image)
        path.with_suffix(".files").write_bytes(_listing(laid))
        # Written beside, then renamed: a concurrent run or a kill never leaves half a tar.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _stop(self, pod: _Pod) -> None:
        delete_pod(pod.api, pod.namespace, pod.name)

    def _remove(self, pod: _Pod) -> None:
        pod.session.close()
        self._stop(pod)

    def end_run(self, run_id: uuid.UUID) -> None:
        """Delete every pod and secret of *run_id* and forget its snapshots; errors ignored."""
        self._end(run_id, time.monotonic() + _SETTLE_SECONDS)

    def _end(self, run_id: uuid.UUID, deadline: float) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return
            run.ending = True
            ended = [ref for ref, pod in self._live.items() if pod.run_id == run_id]
            failed = [step for step, pod in self._failed.items() if pod.run_id == run_id]
            pods = [self._live.pop(ref) for ref in ended]
            pods += [self._failed.pop(step) for step in failed]
            places = dict(run.places)
        for pod in pods:
            pod.session.close()
        for (_, namespace), api in places.items():
            # If the cluster went away, `hm cache clean` finds the leftovers by label.
            with contextlib.suppress(Exception):
                delete_run(api, namespace, run_id, deadline=deadline)
        with self._lock:
            self._runs.pop(run_id, None)

    def force_end(self) -> None:
        """Forced exit: delete the pods of every run in flight, without waiting for them."""
        with self._lock:
            run_ids = list(self._runs)
        for run_id in run_ids:
            self._end(run_id, time.monotonic() + FORCE_SECONDS)

    def end_all(self) -> None:
        """:meth:`end_run` for every run this process still holds (the exit safety net)."""
        with self._lock:
            run_ids = list(self._runs)
        for run_id in run_ids:
            self.end_run(run_id)

    def held_runs(self) -> frozenset[uuid.UUID]:
        """The runs this executor holds anything of."""
        with self._lock:
            return frozenset(self._runs)


_EXECUTOR: Final = KubernetesExecutor()
atexit.register(_EXECUTOR.end_all)
on_forced_exit(_EXECUTOR.force_end)
# The plugin is this module: its hooks are the shared runner hooks over _EXECUTOR.
RunnerHooks(_MANIFEST, _EXECUTOR).export(globals())
