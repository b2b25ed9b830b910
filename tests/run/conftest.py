"""
End-to-end fixtures: every test of tests/run runs once per runner in :data:`RUNNERS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest

from tests.k8s.cluster_support import BUSYBOX_IMAGE
from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from pathlib import Path

#: The runners the end-to-end suite covers; each test runs once per runner.
RUNNERS: Final = (
    "local",
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("kubernetes", marks=pytest.mark.kubernetes),
)


@pytest.fixture(params=RUNNERS)
def runner(request: pytest.FixtureRequest) -> str:
    """The runner under test."""
    return str(request.param)


@pytest.fixture
def project(tmp_path: Path, runner: str, request: pytest.FixtureRequest) -> Project:
    """An empty project with a private home; docker and kubernetes get their test image."""
    if runner == "kubernetes":
        # kube_cluster: the shared test cluster, its kubeconfig passed to `hm` only.
        kubeconfig = request.getfixturevalue("kube_cluster")
        built = _project(tmp_path, runner, BUSYBOX_IMAGE)
        built.env["KUBECONFIG"] = str(kubeconfig)
        return built
    # docker_engine: the test image, and the lock that keeps `hm cache clean` tests away.
    image = request.getfixturevalue("docker_engine") if runner == "docker" else None
    return _project(tmp_path, runner, image)


@pytest.fixture
def local_project(tmp_path: Path) -> Project:
    """A project run on the local runner only, for what only that runner does."""
    return _project(tmp_path, "local", None)


def _project(tmp_path: Path, runner: str, image: str | None) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    return Project(root=root, runner=runner, env=hm_environment(home), image=image)
