"""
A chain's pod: its manifest, waiting for it to run (or for the cluster's reason why not),
and deleting pods with zero grace.

The pod's only container runs a keeper (:data:`KEEPER`) as PID 1 and every step in the
chain's shell session beside it, so a step's final ``kill -1`` spares the pod. Pods carry
no service-account token and no service links: a step sees the image's environment and
its own, nothing the cluster injects.

Starting is bounded: a reason the kubelet will not get past by itself (an image it cannot
pull, a container it cannot create) fails at once with the cluster's message; a config
error, which a moment may clear (a new Secret not yet in the kubelet's cache), fails once
it has lasted 30 s; anything else (unschedulable, pending) fails once the chain's start
timeout passes, with the last reason seen.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, Final, Literal

from harmont._errors import PluginRuntimeError
from harmont._executors._kube_api import (
    PLUGIN_NAME,
    api_error,
    call,
    labels,
    run_selector,
    watch,
)

if TYPE_CHECKING:
    import uuid

    from kubernetes.client import ApiClient

__all__ = [
    "KEEPER",
    "Verdict",
    "create_pod",
    "delete_pod",
    "delete_run",
    "list_run",
    "not_starting",
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
        "CreateContainerError",
        "RunContainerError",
    }
)
#: A reason the kubelet retries that a moment may clear (the Secret a pod references, not
#: yet in the kubelet's cache: "failed to sync secret cache") but a bad spec never will.
_PASSING_WAITING: Final = frozenset({"CreateContainerConfigError"})
#: How long a passing reason may last before the pod is taken not to start.
_PASSING_SECONDS: Final = 30.0
_POLL_SECONDS: Final = 0.1
#: What a deletion asks for: the object goes at once, its processes are killed.
_NO_GRACE: Final = (("gracePeriodSeconds", "0"),)


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


def _pods(namespace: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods"


def create_pod(api: ApiClient, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """Create the pod of *manifest*, as the apiserver returns it; refusals are one line."""
    name = manifest["metadata"]["name"]
    try:
        created: dict[str, Any] = call(api, "POST", _pods(namespace), body=manifest)
    except Exception as exc:
        api_error(exc, code="kube_pod_start", doing=f"creating pod '{name}' in '{namespace}'")
    return created


#: Of a pod not running yet: it never will, it may not (:data:`_PASSING_WAITING`), or
#: it is on its way.
Verdict = Literal["fatal", "passing", "waiting"]


def not_starting(status: dict[str, Any]) -> tuple[Verdict, str | None]:
    """``(verdict, reason)`` of a pod that is not running yet; reason None while all is well."""
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        waiting = state.get("waiting")
        if waiting is not None and waiting.get("reason") not in {None, "ContainerCreating"}:
            reason, message = waiting["reason"], waiting.get("message")
            verdict: Verdict = (
                "fatal"
                if reason in _FATAL_WAITING
                else "passing"
                if reason in _PASSING_WAITING
                else "waiting"
            )
            return verdict, f"{reason}: {message}" if message else reason
        terminated = state.get("terminated")
        if terminated is not None:
            why = f"{terminated.get('reason')}, {terminated.get('exitCode')}"
            return "fatal", f"its container exited ({why})"
    for condition in status.get("conditions") or []:
        if condition.get("status") == "False" and condition.get("reason"):
            details = condition.get("message") or "no details"
            return "waiting", f"{condition['reason']}: {details}"
    return "waiting", None


def wait_running(
    api: ApiClient, namespace: str, pod: dict[str, Any], *, step_key: str, seconds: float
) -> None:
    """
    Return once *pod* (as :func:`create_pod` returned it) runs.

    Its changes are watched, not polled: the step starts as soon as the kubelet reports
    the container running.

    :raises PluginRuntimeError: code ``kube_pod_start``, the pod cannot start (the
        cluster's reason, one line), or did not start within *seconds*.
    """
    name = pod["metadata"]["name"]
    deadline = time.monotonic() + seconds
    passing_until: float | None = None
    while True:
        status = pod.get("status") or {}
        phase = status.get("phase")
        if phase == "Running":
            return
        reason: str | None
        verdict: Verdict
        if phase in {"Succeeded", "Failed"}:
            verdict, reason = "fatal", f"it ended ({phase})"
        else:
            verdict, reason = not_starting(status)
        now = time.monotonic()
        if verdict != "passing":
            passing_until = None
        elif passing_until is None:
            passing_until = now + _PASSING_SECONDS
        fatal = verdict == "fatal" or (passing_until is not None and now >= passing_until)
        left = min(deadline, passing_until or deadline) - now
        if fatal or deadline - now <= 0:
            why = reason or f"still {phase} after {seconds:g}s"
            raise PluginRuntimeError(
                f"kubernetes: step '{step_key}': pod '{name}' cannot start: {_one_line(why)}",
                plugin=PLUGIN_NAME,
                code="kube_pod_start",
                hint=None if fatal else "raise runner_args 'start_timeout' if the cluster is slow",
            )
        try:
            pod = _next_state(api, namespace, pod, left)
        except PluginRuntimeError:
            raise
        except Exception as exc:
            api_error(exc, code="kube_pod_start", doing=f"watching pod '{name}' start")


def _next_state(
    api: ApiClient, namespace: str, pod: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """
    *pod* once it next changes; as it is now when the watch ends first (*seconds*) or
    cannot resume from *pod*'s version (the apiserver's history moved past it).
    """
    name = pod["metadata"]["name"]
    query = [
        ("fieldSelector", f"metadata.name={name}"),
        ("resourceVersion", pod["metadata"]["resourceVersion"]),
    ]
    for event in watch(api, _pods(namespace), query=query, seconds=seconds):
        if event.get("type") in {"ADDED", "MODIFIED"}:
            changed: dict[str, Any] = event["object"]
            return changed
        if event.get("type") == "DELETED":
            raise PluginRuntimeError(
                f"kubernetes: pod '{name}' was deleted while it started",
                plugin=PLUGIN_NAME,
                code="kube_pod_start",
            )
        break  # ERROR (an expired version, most often): read the pod afresh
    current: dict[str, Any] = call(api, "GET", f"{_pods(namespace)}/{name}")
    return current


def _one_line(text: str) -> str:
    return " ".join(text.split())


def delete_pod(api: ApiClient, namespace: str, name: str) -> None:
    """Delete pod *name* at once (zero grace); already gone or unreachable is ignored."""
    with contextlib.suppress(Exception):
        call(api, "DELETE", f"{_pods(namespace)}/{name}", query=_NO_GRACE)


def _names(listed: dict[str, Any]) -> list[str]:
    return [name for o in listed.get("items") or [] if (name := o["metadata"].get("name"))]


def list_run(api: ApiClient, namespace: str, run_id: uuid.UUID | None) -> list[tuple[str, str]]:
    """
    ``(kind, name)`` of the secrets and pods of *run_id* (every harmont one when None).

    :raises Exception: the client's, when the apiserver cannot be reached.
    """
    query = [("labelSelector", run_selector(run_id))]
    secrets = call(api, "GET", f"/api/v1/namespaces/{namespace}/secrets", query=query)
    pods = call(api, "GET", _pods(namespace), query=query)
    return [("secret", n) for n in _names(secrets)] + [("pod", n) for n in _names(pods)]


def delete_run(
    api: ApiClient, namespace: str, run_id: uuid.UUID | None, *, deadline: float
) -> list[tuple[str, str]]:
    """
    Delete the secrets and pods of *run_id* (every harmont one when None) in *namespace*,
    with zero grace, until none is listed or *deadline* (``time.monotonic()``) passes.

    Zero grace removes a pod's object at once, so the listing that follows the deletions
    is normally empty: it is repeated, after a pause, only while something is left (a pod
    a step was creating meanwhile).

    :returns: ``(kind, name)`` of each object it deleted.
    :raises Exception: the client's, when the apiserver cannot be reached.
    """
    from kubernetes.client.exceptions import ApiException

    deleted: list[tuple[str, str]] = []
    found = list_run(api, namespace, run_id)
    while found:
        for kind, name in found:
            if (kind, name) not in deleted:
                deleted.append((kind, name))
            with contextlib.suppress(ApiException):
                if kind == "secret":
                    call(api, "DELETE", f"/api/v1/namespaces/{namespace}/secrets/{name}")
                else:
                    call(api, "DELETE", f"{_pods(namespace)}/{name}", query=_NO_GRACE)
        found = list_run(api, namespace, run_id)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(_POLL_SECONDS)
    return deleted
