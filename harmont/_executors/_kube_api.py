"""
The seam between harmont and the official ``kubernetes`` client: settings, clients, errors.

The client is an optional extra (``pip install 'harmont[kubernetes]'``): the runner is
always listed, and only using it without the extra is an error, one line with the
install command. The client is imported inside the functions that need it, so ``hm
--help`` and the other runners never pay for it.

The runner uses the client's kubeconfig loading, connections, authentication and
WebSocket, but not its generated API classes: importing ``CoreV1Api`` costs over a
second of CPU (some 400 methods, each validated by pydantic), more than a whole chain of
steps, for the handful of ``v1`` paths the runner calls (:func:`call`, :func:`open_exec`).

Where a run's pods go is the kubeconfig in effect (``KUBECONFIG``, else
``~/.kube/config``) and its current context, or the context named by ``HM_KUBE_CONTEXT``
or a step's ``runner_args["context"]``; the namespace is ``runner_args["namespace"]``,
else the context's, else ``default``. Every object harmont creates carries
:data:`LABEL_MANAGED` and :data:`LABEL_RUN`, so cleanup finds them by label.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

import attrs

from harmont._errors import EngineUnavailable, PluginRuntimeError

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterator

    from kubernetes.client import ApiClient

__all__ = [
    "CONTEXT_VARIABLE",
    "DEFAULT_SNAPSHOT_PATHS",
    "LABEL_MANAGED",
    "LABEL_RUN",
    "PLUGIN_NAME",
    "PULL_POLICIES",
    "KubeSettings",
    "api_error",
    "call",
    "labels",
    "load_client",
    "open_exec",
    "run_selector",
    "watch",
]

#: The plugin's name in manifests and error messages.
PLUGIN_NAME: Final = "kubernetes"
#: Present (value ``1``) on every pod and secret harmont creates.
LABEL_MANAGED: Final = "harmont.dev/managed"
#: The ``run_id`` of the ``hm run`` that created the object.
LABEL_RUN: Final = "harmont.dev/run"
#: What a chain's state is, by default: its workspace and the home of the pod's user.
DEFAULT_SNAPSHOT_PATHS: Final = ("/workspace", "$HOME")
#: ``--pull`` policies as Kubernetes names them.
PULL_POLICIES: Final = {"missing": "IfNotPresent", "always": "Always", "never": "Never"}
#: How long a pod may take to start before its step fails, unless the step says otherwise.
DEFAULT_START_SECONDS: Final = 120.0
#: The environment variable naming the kubeconfig context (a flag-free ``--kube-context``).
CONTEXT_VARIABLE: Final = "HM_KUBE_CONTEXT"
_INSTALL_HINT: Final = "install the extra: pip install 'harmont[kubernetes]'"


def labels(run_id: uuid.UUID) -> dict[str, str]:
    """The labels of every object *run_id* creates."""
    return {LABEL_MANAGED: "1", LABEL_RUN: str(run_id)}


def run_selector(run_id: uuid.UUID | None = None) -> str:
    """The label selector of *run_id*'s objects, or of every harmont object."""
    return f"{LABEL_RUN}={run_id}" if run_id is not None else f"{LABEL_MANAGED}=1"


def _refuse(message: str, *, hint: str | None = None) -> NoReturn:
    raise PluginRuntimeError(
        f"kubernetes: {message}", plugin=PLUGIN_NAME, code="kube_settings", hint=hint
    )


@attrs.frozen(kw_only=True)
class KubeSettings:
    """What a chain's ``runner_args`` ask of the cluster."""

    #: The kubeconfig context; None is the current one (or ``HM_KUBE_CONTEXT``).
    context: str | None = None
    #: The namespace; None is the context's, else ``default``.
    namespace: str | None = None
    #: Absolute paths (``$HOME`` expanded in the pod) that make up a chain's state.
    snapshot_paths: tuple[str, ...] = DEFAULT_SNAPSHOT_PATHS
    #: The pod's ``imagePullPolicy``.
    pull_policy: str = PULL_POLICIES["missing"]
    #: How long the pod may take to start.
    start_seconds: float = DEFAULT_START_SECONDS

    @classmethod
    def from_runner_args(
        cls, step_key: str, args: object, *, pull: str = "missing"
    ) -> KubeSettings:
        """
        Read a step's ``runner_args``; unknown or ill-typed keys are one-line errors.

        :param pull: the build's pull policy, for a step whose ``runner_args`` name none.
        :raises PluginRuntimeError: with code ``kube_settings``.
        """
        context = os.environ.get(CONTEXT_VARIABLE) or None
        if args is None:
            return cls(context=context, pull_policy=PULL_POLICIES[pull])
        if not isinstance(args, Mapping):
            _refuse(f"step '{step_key}': runner_args must be an object, not {type(args).__name__}")
        known = {"context", "namespace", "snapshot_paths", "pull", "start_timeout"}
        unknown = sorted(set(args) - known)
        if unknown:
            _refuse(
                f"step '{step_key}': unknown runner_args key '{unknown[0]}'",
                hint=f"the kubernetes runner takes {', '.join(sorted(known))}",
            )
        for name in ("context", "namespace"):
            if name in args and not (isinstance(args[name], str) and args[name]):
                _refuse(f"step '{step_key}': runner_args '{name}' must be a non-empty string")
        paths = args.get("snapshot_paths", DEFAULT_SNAPSHOT_PATHS)
        if (
            isinstance(paths, str)
            or not isinstance(paths, Sequence)
            or not paths
            or not all(isinstance(p, str) and p.startswith(("/", "$HOME")) for p in paths)
        ):
            _refuse(
                f"step '{step_key}': runner_args 'snapshot_paths' must be a non-empty list "
                "of absolute paths (or paths under $HOME)"
            )
        pull = args.get("pull", pull)
        if pull not in PULL_POLICIES:
            _refuse(
                f"step '{step_key}': runner_args 'pull' is {pull!r}",
                hint=f"use one of {', '.join(PULL_POLICIES)}",
            )
        start = args.get("start_timeout", DEFAULT_START_SECONDS)
        if isinstance(start, bool) or not isinstance(start, int | float) or start <= 0:
            _refuse(f"step '{step_key}': runner_args 'start_timeout' must be a positive number")
        return cls(
            context=args.get("context", context),
            namespace=args.get("namespace"),
            snapshot_paths=tuple(paths),
            pull_policy=PULL_POLICIES[pull],
            start_seconds=float(start),
        )


def load_client(context: str | None) -> tuple[ApiClient, str]:
    """
    A client of the cluster of *context* (None: the current one) and the context's namespace.

    :raises PluginRuntimeError: the extra is not installed, or no usable kubeconfig.
    """
    try:
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException
    except ImportError:
        _refuse("the kubernetes client is not installed", hint=_INSTALL_HINT)
    try:
        contexts, active = config.list_kube_config_contexts()  # type: ignore[no-untyped-call]
        if context is not None:
            matching = [c for c in contexts if c["name"] == context]
            if not matching:
                _refuse(f"no context '{context}' in the kubeconfig")
            active = matching[0]
        client = config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]
    except (ConfigException, OSError, ValueError) as exc:
        where = os.environ.get("KUBECONFIG") or "~/.kube/config"
        _refuse(
            f"cannot load the kubeconfig ({where}): {_first_line(str(exc))}",
            hint="set KUBECONFIG to a kubeconfig file, and HM_KUBE_CONTEXT to pick a context",
        )
    namespace = (active or {}).get("context", {}).get("namespace") or "default"
    return client, str(namespace)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "no details"


def api_error(exc: BaseException, *, code: str, doing: str) -> NoReturn:
    """
    Re-raise a client failure while *doing*: unreachable cluster or refused request.

    :raises EngineUnavailable: the apiserver could not be reached.
    :raises PluginRuntimeError: with *code*, the apiserver refused (its message, one line).
    """
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        raise PluginRuntimeError(
            f"kubernetes: {doing}: {_api_message(exc)}", plugin=PLUGIN_NAME, code=code
        ) from exc
    raise EngineUnavailable(
        f"kubernetes: the cluster cannot be reached while {doing}: {_first_line(str(exc))}",
        hint="check KUBECONFIG and that the cluster's apiserver is up",
    ) from exc


def _api_message(exc: Any) -> str:
    """The apiserver's own message of a refusal, or its status line."""
    import json

    try:
        body = json.loads(exc.body)
        message = body.get("message")
    except (TypeError, ValueError, AttributeError):
        message = None
    return _first_line(str(message or f"{exc.status} {exc.reason}"))


def call(
    api: ApiClient,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: object = None,
    timeout: float | None = None,
) -> Any:
    """
    One request to the apiserver's REST API (*path*, such as ``/api/v1/namespaces/ns/pods``):
    its JSON answer, as plain dicts and lists.

    :raises ApiException: the apiserver answered with an error status, as the client's
        generated classes raise it (:func:`api_error` reads it).
    :raises Exception: the client's (urllib3's), when the apiserver cannot be reached.
    """
    from kubernetes.client.exceptions import ApiException

    response = _request(api, method, path, query=query, body=body, timeout=timeout)
    text = response.read().decode("utf-8", "replace")
    if not 200 <= response.status <= 299:
        raise ApiException.from_response(http_resp=response, body=text, data=None)
    return json.loads(text) if text else None


def _request(
    api: ApiClient,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]],
    body: object = None,
    timeout: float | tuple[float, float] | None = None,
) -> Any:
    """The client's response to one request, its body not read yet."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    method, url, headers, body, post = api.param_serialize(
        method,
        path,
        query_params=list(query),
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    return api.call_api(method, url, headers, body, post, _request_timeout=timeout)


def watch(
    api: ApiClient, path: str, *, query: Sequence[tuple[str, str]], seconds: float
) -> Iterator[dict[str, Any]]:
    """
    The events (``{"type": ..., "object": ...}``) of a watch of the list at *path*, as
    the apiserver sends them, until it ends the watch after *seconds* (whole, at least 1).

    :raises ApiException: the apiserver refused the watch.
    :raises Exception: the client's, when the apiserver cannot be reached.
    """
    from kubernetes.client.exceptions import ApiException

    query = [*query, ("watch", "true"), ("timeoutSeconds", str(max(1, math.ceil(seconds))))]
    # Read timeout: the apiserver ends the watch itself; this bounds a connection gone dead.
    response = _request(api, "GET", path, query=query, timeout=(seconds, seconds + 5.0))
    raw = response.response
    try:
        if response.status != 200:
            text = raw.read().decode("utf-8", "replace")
            raise ApiException.from_response(http_resp=response, body=text, data=None)
        for line in raw:
            if line.strip():
                yield json.loads(line)
    finally:
        raw.release_conn()


def open_exec(api: ApiClient, pod: str, namespace: str, command: Sequence[str]) -> Any:
    """
    The client's :class:`~kubernetes.stream.ws_client.WSClient` of an exec of *command* in
    *pod*, all three streams attached, no terminal, bytes kept as bytes (binary mode) and
    not copied aside (``capture_all`` off: the caller reads each channel as it comes).

    :raises ApiException: the apiserver refused the exec, or the connection failed (status
        0, as the client's own ``stream`` raises it).
    """
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import ws_client

    query = [("command", word) for word in command]
    query += [("stdin", "true"), ("stdout", "true"), ("stderr", "true"), ("tty", "false")]
    _, url, headers, _, _ = api.param_serialize(
        "GET",
        f"/api/v1/namespaces/{namespace}/pods/{pod}/exec",
        query_params=query,
        header_params={"Accept": "*/*"},
        auth_settings=["BearerToken"],
    )
    try:
        websocket_url = ws_client.get_websocket_url(url)  # type: ignore[no-untyped-call]
        return ws_client.WSClient(  # type: ignore[no-untyped-call]
            api.configuration, websocket_url, headers, False, binary=True
        )
    except Exception as exc:
        raise ApiException(status=0, reason=str(exc)) from exc
