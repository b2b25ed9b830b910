"""
A chain's pod: its manifest, waiting for it to run (or for the cluster's reason why not),
and deleting pods with zero grace.

The pod's only container runs a keeper (:data:`KEEPER`) as PID 1 and every step in the
chain's shell session beside it, so a step's final ``kill -1`` spares the pod. Pods carry
no service-account token and no service links: a step sees the image's environment and
its own, nothing the cluster injects.

Starting is bounded: a reason the kubelet will not get past by itself (an image it cannot
pull, a container it cannot create) fails at once with the cluster's message; anything
else (unschedulable, pending) fails once the chain's start timeout passes, with the last
reason seen.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, Final

from harmont._errors import PluginRuntimeError
from harmont._executors._kube_api import PLUGIN_NAME, api_error, labels, run_selector

if TYPE_CHECKING:
    import uuid

    from kubernetes.client import ApiClient

__all__ = [
    "KEEPER",
    "create_pod",
    "delete_pod",
    "delete_run",
    "list_run",
    "pod_manifest",
    "wait_running",
]

#: PID 1 of a chain's pod: it ignores nothing but TERM and reaps what steps leave behind.
KEEPER: Final = ("sh", "-c", 'trap "exit 0" TERM; while :; do sleep 3600 & wait; done')
#: Waiting reasons of a container that the kubelet will not get past by itself.
_FATAL_WAITING: Final = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
_POLL_SECONDS: Final = 0.1


def pod_manifest(
    name: str,
    *,
    image: str,
    run_id: uuid.UUID,
    pull_policy: str,
    secret: str | None = None,
) -> dict[str, Any]:
    """
    The pod of one chain.

    :param secret: a Secret of the run whose keys become the container's environment
        (referenced, never inlined, so its values are not in the pod's spec).
    """
    container: dict[str, Any] = {
        "name": "chain",
        "image": image,
        "imagePullPolicy": pull_policy,
        "command": list(KEEPER[:1]),
        "args": list(KEEPER[1:]),
    }
    if secret is not None:
        container["envFrom"] = [{"secretRef": {"name": secret}}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels(run_id)},
        "spec": {
            "containers": [container],
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
        },
    }


def create_pod(api: ApiClient, namespace: str, manifest: dict[str, Any]) -> None:
    """Create the pod of *manifest*; refusals (quota, admission) are one line."""
    from kubernetes.client import CoreV1Api

    name = manifest["metadata"]["name"]
    try:
        # The client serialises a plain manifest as it does its own models.
        CoreV1Api(api).create_namespaced_pod(namespace, manifest)  # type: ignore[arg-type]
    except Exception as exc:
        api_error(exc, code="kube_pod_start", doing=f"creating pod '{name}' in '{namespace}'")


def _not_starting(status: Any) -> tuple[bool, str | None]:
    """``(fatal, reason)`` of a pod that is not running yet; reason None while all is well."""
    for state in status.container_statuses or []:
        waiting = state.state.waiting if state.state is not None else None
        if waiting is not None and waiting.reason not in {None, "ContainerCreating"}:
            message = f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason
            return waiting.reason in _FATAL_WAITING, message
        terminated = state.state.terminated if state.state is not None else None
        if terminated is not None:
            return True, f"its container exited ({terminated.reason}, {terminated.exit_code})"
    for condition in status.conditions or []:
        if condition.status == "False" and condition.reason:
            return False, f"{condition.reason}: {condition.message or 'no details'}"
    return False, None


def wait_running(
    api: ApiClient, namespace: str, name: str, *, step_key: str, seconds: float
) -> None:
    """
    Return once pod *name* runs.

    :raises PluginRuntimeError: code ``kube_pod_start``, the pod cannot start (the
        cluster's reason, one line), or did not start within *seconds*.
    """
    from kubernetes.client import CoreV1Api

    core = CoreV1Api(api)
    deadline = time.monotonic() + seconds
    reason: str | None = None
    while True:
        try:
            pod = core.read_namespaced_pod_status(name, namespace)
        except Exception as exc:
            api_error(exc, code="kube_pod_start", doing=f"reading the status of pod '{name}'")
        status = pod.status
        phase = status.phase if status is not None else None
        if phase == "Running":
            return
        if phase in {"Succeeded", "Failed"}:
            fatal, reason = True, f"it ended ({phase})"
        else:
            fatal, reason = _not_starting(status)
        if fatal or time.monotonic() > deadline:
            why = reason or f"still {phase} after {seconds:g}s"
            raise PluginRuntimeError(
                f"kubernetes: step '{step_key}': pod '{name}' cannot start: {_one_line(why)}",
                plugin=PLUGIN_NAME,
                code="kube_pod_start",
                hint=None if fatal else "raise runner_args 'start_timeout' if the cluster is slow",
            )
        time.sleep(_POLL_SECONDS)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def delete_pod(api: ApiClient, namespace: str, name: str) -> None:
    """Delete pod *name* at once (zero grace); already gone or unreachable is ignored."""
    from kubernetes.client import CoreV1Api

    with contextlib.suppress(Exception):
        CoreV1Api(api).delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def _names(items: list[Any]) -> list[str]:
    return [o.metadata.name for o in items if o.metadata is not None and o.metadata.name]


def list_run(api: ApiClient, namespace: str, run_id: uuid.UUID | None) -> list[tuple[str, str]]:
    """
    ``(kind, name)`` of the secrets and pods of *run_id* (every harmont one when None).

    :raises Exception: the client's, when the apiserver cannot be reached.
    """
    from kubernetes.client import CoreV1Api

    core = CoreV1Api(api)
    selector = run_selector(run_id)
    secrets = core.list_namespaced_secret(namespace, label_selector=selector).items
    pods = core.list_namespaced_pod(namespace, label_selector=selector).items
    return [("secret", n) for n in _names(secrets)] + [("pod", n) for n in _names(pods)]


def delete_run(
    api: ApiClient, namespace: str, run_id: uuid.UUID | None, *, deadline: float
) -> list[tuple[str, str]]:
    """
    Delete the secrets and pods of *run_id* (every harmont one when None) in *namespace*,
    with zero grace, until none is listed or *deadline* (``time.monotonic()``) passes.

    :returns: ``(kind, name)`` of each object it deleted.
    :raises Exception: the client's, when the apiserver cannot be reached.
    """
    from kubernetes.client import CoreV1Api
    from kubernetes.client.exceptions import ApiException

    core = CoreV1Api(api)
    deleted: list[tuple[str, str]] = []
    while found := list_run(api, namespace, run_id):
        for kind, name in found:
            if (kind, name) not in deleted:
                deleted.append((kind, name))
            with contextlib.suppress(ApiException):
                if kind == "secret":
                    core.delete_namespaced_secret(name, namespace)
                else:
                    core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        if time.monotonic() > deadline:
            break
        time.sleep(_POLL_SECONDS)
    return deleted
