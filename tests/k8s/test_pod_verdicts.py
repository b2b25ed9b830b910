"""How a pod that is not running yet is judged, from the status the apiserver reports."""

from __future__ import annotations

from typing import Any

import pytest

from harmont._executors._kube_pods import not_starting


def _waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {"containerStatuses": [{"state": {"waiting": {"reason": reason, "message": message}}}]}


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (_waiting("ImagePullBackOff", "Back-off pulling image"), "fatal"),
        (_waiting("CreateContainerError"), "fatal"),
        # The kubelet retries it, and a Secret created just before the pod may not be in
        # its cache yet: "failed to sync secret cache: timed out waiting for the condition".
        (_waiting("CreateContainerConfigError", "failed to sync secret cache"), "passing"),
        (_waiting("ContainerCreating"), "waiting"),
        ({"conditions": [{"status": "False", "reason": "Unschedulable"}]}, "waiting"),
        ({"containerStatuses": [{"state": {"terminated": {"exitCode": 1}}}]}, "fatal"),
    ],
)
def test_each_reason_has_its_verdict(status: dict[str, Any], verdict: str) -> None:
    assert verdict == not_starting(status)[0]


def test_the_reason_is_the_clusters_one_line() -> None:
    assert ("passing", "CreateContainerConfigError: failed to sync secret cache") == (
        not_starting(_waiting("CreateContainerConfigError", "failed to sync secret cache"))
    )
