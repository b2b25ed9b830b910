"""Shared fixtures of harmont's own test suite."""

from __future__ import annotations

import pytest

# Our own suite uses the plugin-testing fixtures we ship (hm_home, hm_host, hm_registry).
# docker_support (tests/docker_support.py): the engine and base-image fixtures that
# tests/docker and the docker runs of tests/run share. tests/k8s/cluster_support: the
# Kubernetes test cluster that tests/k8s and the kubernetes runs of tests/run share.
# tests.native_support: the native fixtures, built once per session, that tests/native
# and test_bench share (a plugin, not a conftest, so that importing it loads it once).
# skip_summary (tests/skip_summary.py): names every component a run skipped, at its end.
pytest_plugins = [
    "harmont_sdk.testing",
    "docker_support",
    "tests.k8s.cluster_support",
    "tests.native_support",
    "skip_summary",
]


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    ``XDG_CACHE_HOME`` under the session's temporary directory for every test, so that
    what `hm` caches (the capability index, one file per import path a test makes) never
    lands in the user's ``~/.cache``. Shared by the session's tests, as a user's is.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
