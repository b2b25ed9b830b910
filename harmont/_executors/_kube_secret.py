"""
A run's secrets in the cluster: one ``Secret`` per namespace the run starts pods in.

``hm run --secret`` values reach a step's pod through a Secret that the pod references
(``envFrom``), never inlined in the pod's spec and never sent over an exec: so no value is
in what ``kubectl get pod -o yaml`` shows, in the scripts of the chain's shell session, or
in an argv in the pod; who may read the run's values is up to the cluster's RBAC on
Secrets. The container's environment holds them from its start, so every exec in the pod
(each step, a debug shell) inherits them as it inherits the image's variables.

The Secret carries the run's labels (:func:`~._kube_api.labels`), so it goes where the
run's pods go: with the build (:func:`~._kube_pods.delete_run`), or with ``hm cache clean``
after a run that was killed.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, Final

from harmont._executors._kube_api import api_error, call, labels

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping

    from kubernetes.client import ApiClient

__all__ = ["ENV_NAME", "create_secret", "secret_name", "secret_values"]

#: What a container's ``envFrom`` turns into a variable; other keys it would skip.
ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONFLICT: Final = 409


def secret_name(run_id: uuid.UUID) -> str:
    """The name of *run_id*'s Secret: one per run, so every pod of it can name it."""
    return f"hm-{run_id.hex}-secrets"


def secret_values(env: Mapping[str, str], names: frozenset[str]) -> dict[str, str]:
    """
    The variables of *env* that are secrets (*names*) and that ``envFrom`` can carry.

    A name that is no variable name would be dropped by the kubelet, so it stays in the
    step's env as before.
    """
    return {name: env[name] for name in sorted(names) if name in env and ENV_NAME.match(name)}


def _manifest(run_id: uuid.UUID, values: Mapping[str, str]) -> dict[str, Any]:
    encoded = {
        k: base64.b64encode(v.encode("utf-8", "surrogateescape")).decode()
        for k, v in values.items()
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(run_id), "labels": labels(run_id)},
        "type": "Opaque",
        "data": encoded,
    }


def create_secret(
    api: ApiClient, namespace: str, run_id: uuid.UUID, values: Mapping[str, str]
) -> None:
    """
    Create *run_id*'s Secret (:func:`secret_name`) holding *values* in *namespace*.

    One that exists already is the run's own (made for a concurrent chain): it is kept.

    :raises PluginRuntimeError: code ``kube_secret``, the apiserver refused (RBAC, quota).
    :raises EngineUnavailable: the apiserver could not be reached.
    """
    from kubernetes.client.exceptions import ApiException

    name = secret_name(run_id)
    try:
        call(api, "POST", f"/api/v1/namespaces/{namespace}/secrets", body=_manifest(run_id, values))
    except ApiException as exc:
        if exc.status != _CONFLICT:
            api_error(exc, code="kube_secret", doing=f"creating secret '{name}' in '{namespace}'")
    except Exception as exc:
        api_error(exc, code="kube_secret", doing=f"creating secret '{name}' in '{namespace}'")
