"""
What only the kubernetes runner does, against the real test cluster: nothing of a run is
left in the namespace on any path, a pod that cannot start fails its step with the
cluster's reason, ``hm cache clean`` deletes what a killed run left, the settings it reads,
and the error without the extra. The end-to-end behaviours every runner shares run on it
through tests/run (``RUNNERS``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import shutil
import signal
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import pytest

from harmont._executors.kubernetes import shell_exports
from tests.k8s.cluster_support import BUSYBOX_IMAGE
from tests.run.rig import TIMEOUT_SECONDS, Project, command, hm_environment, until
from tests.terminal import Terminal

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.kubernetes

_LABEL_RUN: Final = "harmont.dev/run"
#: A secret's value, as `--secret TOKEN=...` passes it.
_SECRET: Final = "s3cr3t-" + uuid.uuid4().hex
#: A step's variable that is no secret.
_STEP_VALUE: Final = "step-" + uuid.uuid4().hex
#: A step that tells whether it sees the secret, without printing it.
_SEES_SECRET: Final = f'[ "$TOKEN" = {_SECRET} ] && echo seen'


def _kubectl(kubeconfig: Path, *args: str) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    return done.stdout


@pytest.fixture
def namespace(kube_cluster: Path) -> Iterator[str]:
    """A namespace of the test's own, deleted after it."""
    name = f"hm-test-{uuid.uuid4().hex[:10]}"
    _kubectl(kube_cluster, "create", "namespace", name)
    try:
        yield name
    finally:
        _kubectl(kube_cluster, "delete", "namespace", name, "--wait=false")


@pytest.fixture
def kube_project(tmp_path: Path, kube_cluster: Path, namespace: str) -> Project:
    """A project whose kubeconfig's context puts pods in the test's namespace."""
    root = tmp_path / "project"
    root.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    kubeconfig = tmp_path / "kubeconfig"
    shutil.copy(kube_cluster, kubeconfig)
    _kubectl(kubeconfig, "config", "set-context", "--current", f"--namespace={namespace}")
    env = hm_environment(home)
    env["KUBECONFIG"] = str(kubeconfig)
    return Project(root=root, runner="kubernetes", env=env, image=BUSYBOX_IMAGE)


def _objects(project: Project, selector: str) -> list[str]:
    """Names of the pods and secrets in the project's namespace matching *selector*."""
    out = _kubectl(
        _kubeconfig(project), "get", "pods,secrets", "-l", selector, "-o", "name"
    ).split()
    return sorted(out)


def _kubeconfig(project: Project) -> Path:
    return Path(project.env["KUBECONFIG"])


def _wait_for_output(stdout: IO[str], line: str) -> None:
    """Read build events until a step logged *line* (the step is then running)."""

    def logged() -> bool:
        event = json.loads(stdout.readline() or "{}")
        return event.get("kind") == "step_log" and event.get("line") == line

    until(logged, f"a step to print {line!r}")


def _run_id(stdout: str) -> str:
    first = json.loads(stdout.splitlines()[0])
    assert "build_start" == first["kind"]
    return str(first["run_id"])


def _secret_of(stdout: str) -> str:
    """The name of the Secret of the run whose events begin *stdout*."""
    return f"hm-{uuid.UUID(_run_id(stdout)).hex}-secrets"


class TestSecrets:
    def test_a_step_sees_the_secret_that_its_pod_only_references(
        self, kube_project: Project
    ) -> None:
        """
        The value reaches the step through the run's Secret: the pod (as the apiserver
        returns it) names that Secret and holds no value, and the Secret holds it.
        """
        kube_project.pipeline(
            command(
                "uses",
                f"echo started; while [ ! -e /tmp/go ]; do sleep 0.1; done; {_SEES_SECRET}",
            )
        )
        process = kube_project.start("--secret", f"TOKEN={_SECRET}")
        assert process.stdout is not None
        first = process.stdout.readline()
        _wait_for_output(process.stdout, "started")
        kubeconfig = _kubeconfig(kube_project)
        selector = f"{_LABEL_RUN}={_run_id(first)}"
        [pod] = json.loads(_kubectl(kubeconfig, "get", "pods", "-l", selector, "-o", "json"))[
            "items"
        ]
        stored = json.loads(_kubectl(kubeconfig, "get", "secret", _secret_of(first), "-o", "json"))
        _kubectl(kubeconfig, "exec", pod["metadata"]["name"], "--", "touch", "/tmp/go")
        rest = process.stdout.read()
        process.wait(TIMEOUT_SECONDS)
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()

        assert 0 == process.returncode
        logged = [json.loads(line) for line in rest.splitlines()]
        assert ["seen"] == [e["line"] for e in logged if e["kind"] == "step_log"]
        assert _SECRET not in json.dumps(pod)
        [container] = pod["spec"]["containers"]
        assert [{"secretRef": {"name": _secret_of(first)}}] == container["envFrom"]
        assert _SECRET == base64.b64decode(stored["data"]["TOKEN"]).decode()

    def test_a_debug_shell_has_the_secret_that_no_command_line_holds(
        self, kube_project: Project
    ) -> None:
        """
        `hm debug --secret`: the shell in the pod has the value (from the pod's Secret) and
        the step's other variables, and neither kubectl's command line here nor any in the
        pod holds one of their values.
        """
        kube_project.pipeline(command("look", "true", env={"STEP_VAR": _STEP_VALUE}))
        argv = [sys.executable, "-m", "harmont_cli", "debug", "pipeline.json", "look"]
        argv += ["--runner", "kubernetes", "--secret", f"TOKEN={_SECRET}", "--shell", "sh"]
        shell = Terminal(argv, cwd=kube_project.root, env=kube_project.env)
        try:
            opened = shell.expect("the step's command:")
            # Quotes split the markers, so the echo of a typed line never matches them.
            shell.type(f'echo "[$STEP_VAR]"; [ "$TOKEN" = {_SECRET} ] && echo "[se""en]"\n')
            shell.expect("[seen]", after=shell.expect(f"[{_STEP_VALUE}]", after=opened))
            here = _command_lines("kubectl")
            shell.type("cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo \"[list\"\"ed]\"\n")
            shell.expect("[listed]", after=shell.expect('"[list""ed]"', after=opened))
            screen = shell.screen  # searched as text: the offsets above count bytes
            typed = screen.rindex('"[list""ed]"')
            in_pod = screen[typed : screen.index("[listed]", typed)]
            shell.type("exit\n")
            assert 0 == shell.wait()
        finally:
            shell.close()

        assert any(" exec " in line for line in here)
        values = (_SECRET, _STEP_VALUE)
        assert [] == [line for line in here if any(value in line for value in values)]
        assert "sh" in in_pod
        assert [] == [value for value in values if value in in_pod]


def test_a_debug_shell_exports_no_secret_and_only_variable_names() -> None:
    """
    A secret is never exported, not even one whose name keeps it out of the run's Secret
    (``TÖKEN``); nor is a name the Secret's filter refuses, though ``isidentifier`` takes it.
    """
    env = {"TOKEN": "a", "TÖKEN": "b", "OTHER": "c", "ÉTAPE": "d", "PLAIN": "it's"}
    exports = shell_exports(env, frozenset({"TOKEN", "TÖKEN"}))

    assert b"export OTHER='c'\nexport PLAIN='it'\\''s'\n" == exports


def _command_lines(program: str) -> list[str]:
    """The command lines of the running processes of *program* on this machine."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            words = cmdline.read_bytes().split(b"\0")
            if words and words[0].endswith(program.encode()):
                lines.append(b" ".join(words).decode("utf-8", "replace"))
    return lines


class TestNothingLeft:
    """Every pod of a run is gone once `hm run` has returned, however the build ended."""

    @pytest.mark.parametrize(
        ("cmd", "timeout", "returncode"),
        [("true", None, 0), ("exit 3", None, 1), ("sleep 60", 1, 1)],
        ids=["success", "failure", "timeout"],
    )
    def test_a_finished_build_leaves_nothing(
        self, kube_project: Project, cmd: str, timeout: int | None, returncode: int
    ) -> None:
        """Chains, forks, cached steps: no pod of theirs, nor the run's Secret, outlives it."""
        kube_project.pipeline(
            command("root", f"echo root > r.txt; {_SEES_SECRET}"),
            command("left", "cat r.txt", builds_in="root"),
            command("right", cmd, builds_in="root", timeout_seconds=timeout),
        )

        build = kube_project.hm("--secret", f"TOKEN={_SECRET}")

        assert returncode == build.returncode, build.stderr
        assert ["seen"] == build.logs("root")
        assert [] == _objects(kube_project, f"{_LABEL_RUN}={_run_id(build.stdout)}")

    @pytest.mark.parametrize(
        "signum",
        [signal.SIGINT, signal.SIGTERM],
        ids=["sigint", "sigterm"],
    )
    def test_a_signalled_build_leaves_nothing(
        self, kube_project: Project, signum: signal.Signals
    ) -> None:
        """
        Ctrl-C or SIGTERM while a step runs: the run's pods and Secret are deleted before
        `hm` exits.
        """
        kube_project.pipeline(command("hang", "echo started; sleep 600"))
        process = kube_project.start("--secret", f"TOKEN={_SECRET}")
        assert process.stdout is not None
        first = process.stdout.readline()
        _wait_for_output(process.stdout, "started")
        assert f"secret/{_secret_of(first)}" in _objects(kube_project, "harmont.dev/managed=1")
        process.send_signal(signum)
        process.wait(TIMEOUT_SECONDS)
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()

        assert 128 + signum == process.returncode
        assert [] == _objects(kube_project, f"{_LABEL_RUN}={_run_id(first)}")


class TestPodStart:
    def test_an_image_that_cannot_be_pulled_fails_its_step_with_the_reason(
        self, kube_project: Project
    ) -> None:
        """A pod the cluster cannot start fails its step in one line naming the reason."""
        kube_project.pipeline(
            command(
                "nope",
                "true",
                image="localhost/harmont-absent:1",
                runner_args={"pull": "never"},
            )
        )

        build = kube_project.hm("--format", "human")

        assert 6 == build.returncode, build.stderr
        error = next(line for line in build.stderr.splitlines() if "cannot start" in line)
        assert "ErrImageNeverPull" in error
        assert "localhost/harmont-absent:1" in error

    def test_runner_args_pick_the_namespace(
        self, kube_project: Project, kube_cluster: Path, namespace: str
    ) -> None:
        """``runner_args["namespace"]`` wins over the context's namespace."""
        other = f"{namespace}-b"
        _kubectl(kube_cluster, "create", "namespace", other)
        try:
            kube_project.pipeline(
                command(
                    "where",
                    "hostname",
                    runner_args={"namespace": other},
                )
            )
            build = kube_project.hm()
            assert 0 == build.returncode, build.stderr
            [pod] = build.logs("where")
            listed = _kubectl(kube_cluster, "get", "events", "-n", other, "-o", "name")
            assert pod in listed
        finally:
            _kubectl(kube_cluster, "delete", "namespace", other, "--wait=false")

    def test_unknown_runner_args_are_one_line(self, kube_project: Project) -> None:
        kube_project.pipeline(command("x", "true", runner_args={"namspace": "a"}))

        build = kube_project.hm("--format", "human")

        assert 6 == build.returncode
        assert "unknown runner_args key 'namspace'" in build.stderr
        assert "Traceback" not in build.stderr


class TestSnapshotPaths:
    def test_a_fork_child_gets_the_snapshot_paths_and_only_them(
        self, kube_project: Project
    ) -> None:
        """The workspace and $HOME travel to fork children; the rest of the file system not."""
        kube_project.pipeline(
            command(
                "root",
                "echo ws > w.txt; echo home > $HOME/h.txt; echo etc > /etc/hm-extra;"
                " mkdir -p /opt/keep; echo opt > /opt/keep/o.txt",
                runner_args={"snapshot_paths": ["/workspace", "$HOME", "/opt/keep"]},
            ),
            command(
                "child",
                "cat w.txt $HOME/h.txt /opt/keep/o.txt; test -e /etc/hm-extra || echo no-etc",
                builds_in="root",
            ),
            command("sibling", "true", builds_in="root"),
        )

        build = kube_project.hm()

        assert 0 == build.returncode, build.stderr
        assert ["ws", "home", "opt", "no-etc"] == build.logs("child")


class TestSourceOverSnapshot:
    @pytest.mark.parametrize("listed", ["beside", "inside"], ids=["files-beside", "older-tar"])
    def test_files_gone_from_the_source_are_gone_after_a_cache_hit(
        self, kube_project: Project, listed: str
    ) -> None:
        """
        A chain continuing a cached snapshot gets the current source: what the source had
        when the snapshot was made and has no more is deleted. The snapshot lists the files
        laid in it beside its tar, or (made by an older harmont) inside it.
        """
        (kube_project.root / "kept.txt").write_text("k\n")
        (kube_project.root / "gone.txt").write_text("g\n")
        kube_project.pipeline(
            command("cached", "echo built > built.txt", cache={"policy": "forever", "key": "k"}),
            command("after", "ls", builds_in="cached"),
        )
        first = kube_project.hm()
        assert 0 == first.returncode, first.stderr
        if listed == "inside":
            _as_older_snapshot(Path(kube_project.env["XDG_CACHE_HOME"]))
        (kube_project.root / "gone.txt").unlink()

        second = kube_project.hm()

        assert 0 == second.returncode, second.stderr
        assert {"built.txt", "gone.txt", "kept.txt"} <= set(first.logs("after"))
        assert ["built.txt", "kept.txt", "pipeline.json"] == second.logs("after")


def _as_older_snapshot(cache: Path) -> None:
    """Turn the one cached snapshot under *cache* into the form an older harmont wrote."""
    [files] = (cache / "harmont" / "kubernetes").rglob("*.files")
    with tarfile.open(files.with_suffix(".tar"), "a") as tar:
        info = tarfile.TarInfo(".harmont/workspace-manifest")
        listing = files.read_bytes()
        info.size = len(listing)
        tar.addfile(info, io.BytesIO(listing))
    files.unlink()


class TestCacheClean:
    def test_cache_clean_deletes_what_a_killed_run_left(self, kube_project: Project) -> None:
        """
        `hm run` SIGKILLed mid-step leaves its pod and Secret; `hm cache clean` deletes them
        and the tars.
        """
        kube_project.pipeline(
            command("cached", "echo c > c.txt", cache={"policy": "forever", "key": "k"}),
            command("hang", "echo started; sleep 600", builds_in="cached"),
        )
        process = kube_project.start("--secret", f"TOKEN={_SECRET}")
        assert process.stdout is not None
        secret = _secret_of(process.stdout.readline())
        _wait_for_output(process.stdout, "started")
        process.kill()
        process.wait(TIMEOUT_SECONDS)
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
        assert _objects(kube_project, "harmont.dev/managed=1")

        # The Docker engine is shared with other tests: this clean must not reach it.
        kube_project.env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
        clean = kube_project.hm("cache", "clean", raw=True)

        assert 0 == clean.returncode, clean.stderr
        assert "pod hm-" in clean.stdout
        assert f"secret {secret}" in clean.stdout
        assert "snapshot" in clean.stdout
        assert [] == _objects(kube_project, "harmont.dev/managed=1")


def test_without_the_extra_the_runner_is_listed_and_says_how_to_install(
    kube_project: Project,
) -> None:
    """No ``kubernetes`` package: one line naming the extra to install, never a traceback."""
    kube_project.pipeline(command("x", "true"))
    hide = (
        "import sys; sys.modules['kubernetes'] = None; "
        "from harmont_cli.__main__ import console_main; sys.argv[0] = 'hm'; console_main()"
    )

    def hm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", hide, *args],
            cwd=kube_project.root,
            env=kube_project.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )

    listed = hm("plugin", "list")
    done = hm(*kube_project.argv()[3:], "--format", "human")

    assert "kubernetes" in listed.stdout, listed.stderr
    assert "Traceback" not in done.stderr
    assert "pip install 'harmont[kubernetes]'" in done.stderr
    assert 0 != done.returncode
