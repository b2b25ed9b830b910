"""Every bench script runs to the end at a tiny size: a smoke test, untimed (CI runs it)."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.k8s.cluster_support import BUSYBOX_IMAGE
from tests.run.rig import hm_environment

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bench(
    script: str, *args: str, home: Path, ratios: bool = True, env: dict[str, str] | None = None
) -> str:
    """
    Run ``bench/<script>`` with *args*, *env* added to its environment; its output, which
    must give ratios if *ratios*.
    """
    home.mkdir(exist_ok=True)
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        env={**hm_environment(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    if ratios:
        assert " x1.00" in done.stdout, done.stdout  # the baseline's own line
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("startup.py", ("--runs", "1")),
        ("log_throughput.py", ("--lines", "1000", "--repeat", "1")),
        ("run_overhead.py", ("--sections", "1", "--repeat", "1")),
        ("trace_overhead.py", ("--sections", "1", "--repeat", "1")),
        ("host_overhead.py", ("--sections", "1", "--repeat", "1")),
        ("protocol.py", ("--seconds", "0.01", "--repeat", "1")),
        ("secret_masking.py", ("--megabytes", "1", "--repeat", "1")),
    ],
)
def test_bench_runs(script: str, args: tuple[str, ...], tmp_path: Path) -> None:
    """The bench completes and prints its figures as ratios to its baseline."""
    _bench(script, *args, home=tmp_path / "home")


@pytest.mark.slow
@pytest.mark.docker
def test_docker_bench_runs(docker_image: str, tmp_path: Path) -> None:
    """The docker bench completes against the test image."""
    out = _bench(
        "docker_overhead.py",
        *("--image", docker_image, "--steps", "2", "--repeat", "1"),
        home=tmp_path / "home",
    )

    assert "hm run --runner docker" in out


@pytest.mark.slow
@pytest.mark.docker
def test_docker_bench_lists_the_engine_calls(docker_image: str, tmp_path: Path) -> None:
    """``--calls`` runs the chain once and lists the engine calls that started its container."""
    out = _bench(
        "docker_overhead.py",
        *("--calls", "--steps", "2", "--image", docker_image),
        home=tmp_path / "home",
        ratios=False,
    )

    called = [line.split()[2] for line in out.splitlines()[1:-1]]
    assert {"create_container", "start", "put_archive", "remove_container"} <= set(called)
    assert "(exit 0)" in out.splitlines()[-1]


@pytest.mark.slow
@pytest.mark.cargo
@pytest.mark.usefixtures("native")
def test_plugin_calls_bench_runs(tmp_path: Path) -> None:
    """The bench completes on the fixtures the native tests built (nothing left to build)."""
    # It runs no `hm`; the real home is where rustup's cargo finds its toolchain.
    out = _bench(
        "plugin_calls.py",
        *("--seconds", "0.02"),
        home=tmp_path / "home",
        env={"HOME": str(Path.home())},
    )

    assert "native, isolated" in out


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.usefixtures("docker_cli")
def test_pull_bench_runs(docker_engine: str, docker_registry: str, tmp_path: Path) -> None:
    """The pull bench completes against a local registry, pushing tiny images."""
    out = _bench(
        "pull_overhead.py",
        *("--image", docker_engine, "--registry", docker_registry),
        *("--size", "1000", "--repeat", "1"),
        home=tmp_path / "home",
    )

    assert "hm pre-flight" in out


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_the_pull_bench_without_the_docker_cli_skips(ci: str, outcome: str, tmp_path: Path) -> None:
    """Without ``docker`` on PATH the pull bench's test is skipped, or fails under CI=true."""
    (tmp_path / "test_needs_cli.py").write_text("def test_it(docker_cli):\n    pass\n")
    repo = BENCH.parent

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "tests.docker_support", "test_needs_cli.py"],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": str(Path(sys.executable).parent),
            "CI": ci,
            "PYTHONPATH": str(repo),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert outcome in done.stdout, done.stdout
    assert "the docker CLI is missing" in done.stdout, done.stdout


@pytest.mark.slow
@pytest.mark.kubernetes
def test_kubernetes_bench_runs(kube_cluster: Path, tmp_path: Path) -> None:
    """The kubernetes bench completes both workloads, tiny, against the test cluster."""
    out = _bench(
        "kubernetes_overhead.py",
        *("--image", BUSYBOX_IMAGE, "--steps", "2", "--children", "1", "--repeat", "1"),
        home=tmp_path / "home",
        env={"KUBECONFIG": str(kube_cluster)},
    )

    assert out.count("hm run --runner kubernetes") == 2


@pytest.mark.parametrize("workload", ["chain", "fork"])
def test_a_kubectl_script_that_fails_deletes_its_pods(
    workload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The kubernetes bench's script, its first ``kubectl exec`` failing, deletes every pod
    it names, each name ending in the bench run's suffix and the script's pid: nothing is
    left on the cluster, and no later execution reuses a name.
    """
    monkeypatch.syspath_prepend(str(BENCH))
    bench = importlib.import_module("kubernetes_overhead")
    script = getattr(bench, f"_{workload}_script")(2, "busybox", "f00d")
    (tmp_path / "bin").mkdir()
    kubectl = tmp_path / "bin" / "kubectl"
    kubectl.write_text('#!/bin/sh\necho "$*" >> "$KUBECTL_LOG"\n[ "$1" != exec ]\n')
    kubectl.chmod(0o755)
    log = tmp_path / "kubectl.log"

    done = subprocess.run(
        ["sh", "-c", script],
        env={
            **os.environ,
            "PATH": f"{kubectl.parent}:{os.environ['PATH']}",
            "KUBECTL_LOG": str(log),
        },
        capture_output=True,
        check=False,
    )

    calls = log.read_text().splitlines()
    started = {call.split()[1] for call in calls if call.startswith("run ")}
    verb, kind, *deleted = calls[-1].split(" --")[0].split()
    assert done.returncode != 0
    assert (verb, kind) == ("delete", "pod")
    assert "--ignore-not-found" in calls[-1]
    assert started
    assert started <= set(deleted)
    assert all(re.fullmatch(r"bench-[a-z0-9-]+-f00d-[0-9]+", name) for name in deleted)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_spawn_floor_stops_at_a_failed_step(jobs: int, tmp_path: Path) -> None:
    """run_overhead's Python baseline ends, non-zero, naming the failed step, at any -j."""
    steps = [
        {"type": "command", "key": "root", "cmd": "true"},
        {"type": "command", "key": "fails", "cmd": "exit 3", "builds_in": "root"},
        {"type": "command", "key": "after", "cmd": "touch ran", "builds_in": "fails"},
        {"type": "command", "key": "sibling", "cmd": "true", "builds_in": "root"},
        {"type": "wait"},
        {"type": "command", "key": "later", "cmd": "touch ran", "builds_in": None},
    ]
    (tmp_path / "pipeline.json").write_text(json.dumps({"version": "0", "steps": steps}))

    done = subprocess.run(
        [sys.executable, str(BENCH / "_spawn_floor.py"), "pipeline.json", str(jobs)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stderr) == (1, "steps failed: fails\n")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_spawn_floor_stops_when_a_step_cannot_start(jobs: int, tmp_path: Path) -> None:
    """A step whose ``sh`` cannot be started fails (no worker dies, none waits forever)."""
    steps = [
        {"type": "command", "key": "root", "cmd": "true"},
        {"type": "command", "key": "sibling", "cmd": "true", "builds_in": None},
    ]
    (tmp_path / "pipeline.json").write_text(json.dumps({"version": "0", "steps": steps}))
    (tmp_path / "empty").mkdir()

    done = subprocess.run(
        [sys.executable, str(BENCH / "_spawn_floor.py"), "pipeline.json", str(jobs)],
        cwd=tmp_path,
        env={**os.environ, "PATH": str(tmp_path / "empty")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert sorted(done.stderr.removeprefix("steps failed: ").strip().split(", ")) == [
        "root",
        "sibling",
    ]
