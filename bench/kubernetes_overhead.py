"""
How `hm run --runner kubernetes` compares with the kubectl script it replaces.

Two workloads, each run under ``hm run --runner kubernetes --format json`` and as the
script a person would write with kubectl, on the same image:

- a 20-step chain of ``true``: ``kubectl run`` of a keeper pod, ``kubectl wait`` for it,
  20 ``kubectl exec``, ``kubectl delete --grace-period=0 --force``;
- a 4-way fork (one root step, four children from its state): the root pod as above, a
  ``tar`` of its workspace piped through ``kubectl exec`` into each of four child pods,
  one ``kubectl exec`` in each, then the five deleted.

The script prints both wall times (median of a few runs) as ratios to the script's; the
goal for hm is at most x0.5. hm pays its own start-up and pre-flight check, packs the
source and streams it into the pod, and streams each step's output as events; it saves a
process, a TLS handshake and an exec per step, because the chain's steps share one exec.

hm runs with ``--parallelism 8`` (its default is this machine's CPU count, which says
nothing of the cluster's).

Run: ``python bench/kubernetes_overhead.py [--image IMAGE] [--steps N] [--children N]
[--repeat R]`` with
``KUBECONFIG`` set (the test cluster: ``bash tests/k8s/cluster/start.sh``, then
``KUBECONFIG=/tmp/harmont-k8s/pki/admin.kubeconfig``; its image is
``localhost/busybox:1.35``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

from _timing import chain_pipeline, race

_POD_FLAGS = (
    "--restart=Never --image-pull-policy=IfNotPresent "
    '--overrides=\'{"spec":{"terminationGracePeriodSeconds":0,'
    '"automountServiceAccountToken":false}}\''
)


def _fork(children: int, image: str) -> dict[str, object]:
    steps: list[dict[str, object]] = [
        {"type": "command", "key": "root", "cmd": "echo state > s.txt", "builds_in": None}
    ]
    steps += [
        {"type": "command", "key": f"child-{i}", "cmd": "cat s.txt", "builds_in": "root"}
        for i in range(children)
    ]
    return {"version": "0", "default_image": image, "steps": steps}


def _start(name: str, image: str) -> str:
    return (
        f"kubectl run {name} --image={image} {_POD_FLAGS} -- sleep 3600 >/dev/null\n"
        f"kubectl wait --for=condition=Ready pod/{name} --timeout=120s >/dev/null\n"
    )


def _prologue(names: list[str]) -> str:
    """
    ``set -e`` and a trap that deletes the script's pods however it ends, as its last
    step did: a run that dies part-way must leave nothing on a shared cluster. A signal
    exits, so that the trap runs then too.
    """
    delete = f"kubectl delete pod {' '.join(names)} --ignore-not-found --grace-period=0 --force"
    return f"set -e\ntrap '{delete} >/dev/null 2>&1' EXIT\ntrap 'exit 130' HUP INT TERM\n"


def _names(run: str) -> str:
    """
    The suffix of a script's pod names: *run* (the bench run's) and the shell's pid, so each
    execution of the script has pods of its own. A pod deleted with ``--force`` leaves the
    API at once but lives on its node a while longer, and a new pod of the same name could
    have its ``kubectl exec`` sent to the old one.
    """
    return f"{run}-$$"


def _chain_script(steps: int, image: str, run: str) -> str:
    """The chain as kubectl calls; its pod's name ends in :func:`_names`."""
    pod = f"bench-chain-{_names(run)}"
    return (
        _prologue([pod])
        + _start(pod, image)
        + f"for i in $(seq {steps}); do kubectl exec {pod} -- sh -c true; done\n"
    )


def _fork_script(children: int, image: str, run: str) -> str:
    """The fork as kubectl calls; its pods' names end in :func:`_names`."""
    root = f"bench-root-{_names(run)}"
    kids = [f"bench-child-{i}-{_names(run)}" for i in range(children)]
    script = _prologue([root, *kids]) + _start(root, image)
    script += (
        f"kubectl exec {root} -- sh -c 'mkdir -p /workspace && echo state > /workspace/s.txt'\n"
    )
    for kid in kids:
        script += f"kubectl run {kid} --image={image} {_POD_FLAGS} -- sleep 3600 >/dev/null\n"
    script += f"kubectl wait --for=condition=Ready pod {' '.join(kids)} --timeout=120s\n"
    for kid in kids:
        script += (
            f"kubectl exec {root} -- tar -cf - -C / workspace"
            f" | kubectl exec -i {kid} -- tar -xf - -C /\n"
            f"kubectl exec {kid} -- cat /workspace/s.txt >/dev/null\n"
        )
    return script


def _measure(
    root: Path,
    name: str,
    pipeline: dict[str, object],
    script: str,
    *,
    repeat: int,
    parallelism: int,
) -> None:
    (root / f"{name}.json").write_text(json.dumps(pipeline))
    (root / f"{name}.sh").write_text(script)
    hm = [sys.executable, "-m", "harmont_cli", "run", f"{name}.json", "--runner", "kubernetes"]
    hm += ["--format", "json", "--parallelism", str(parallelism)]
    hm_median, shell_median = race(hm, ["sh", f"{name}.sh"], cwd=root, repeat=repeat)
    print(
        f"{name}, median of {repeat} runs; baseline the kubectl script"
        " (x: time over the baseline's; higher is slower)"
    )
    print(f"  kubectl script                 {shell_median * 1000:8.0f} ms  x1.00")
    print(
        f"  hm run --runner kubernetes     {hm_median * 1000:8.0f} ms"
        f"  x{hm_median / shell_median:.2f}  (goal: <= x0.5)"
    )


def main() -> int:
    """Run both workloads ``--repeat`` times per side and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--image", default="localhost/busybox:1.35")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--children", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    # hm's default is this machine's CPU count; pods run on the cluster's, so the four
    # children start at once, as the script starts its four pods.
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()
    if not os.environ.get("KUBECONFIG"):
        sys.stderr.write(
            "error: KUBECONFIG is not set\n"
            "hint: start the test cluster (bash tests/k8s/cluster/start.sh) and set "
            "KUBECONFIG=/tmp/harmont-k8s/pki/admin.kubeconfig\n"
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="hm-bench-kubernetes-") as tmp:
        root = Path(tmp)
        (root / "README").write_text("a one-file project\n")
        chain, fork = chain_pipeline(args.steps, args.image), _fork(args.children, args.image)
        runs = {"repeat": args.repeat, "parallelism": args.parallelism}
        run = uuid.uuid4().hex[:8]
        _measure(root, "chain", chain, _chain_script(args.steps, args.image, run), **runs)
        _measure(root, "fork", fork, _fork_script(args.children, args.image, run), **runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
