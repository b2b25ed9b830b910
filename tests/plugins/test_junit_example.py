"""The hm-junit example, pip-installed next to harmont in a fresh venv and driven through `hm`."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import textwrap
import venv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "plugins" / "hm-junit"

pytestmark = pytest.mark.slow

SAMPLE = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites name="hm" tests="3" failures="1" errors="0" time="1.5">
  <testsuite name="hm run" tests="3" failures="1" errors="0" skipped="1" time="1.5">
    <testcase name="build" classname="hm.local" time="1.250"/>
    <testcase name="test" classname="hm.local" time="0.250">
      <failure type="exit_code" message="exited with code 3"/>
    </testcase>
    <testcase name="deploy" classname="hm.unknown" time="0.000">
      <skipped message="the step did not run"/>
    </testcase>
  </testsuite>
</testsuites>
"""

#: Feeds one build's events through the registry's hook dispatch, as `hm run` would.
FEED_EVENTS = """
import uuid
from datetime import UTC, datetime

from harmont import load_registry
from harmont.protocol import (
    BuildEnd, BuildStart, HookEvent, HookPhase, PlanSummary, StepEnd, StepQueued, StepStart,
)

run_id = uuid.uuid4()
build, test, deploy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
events = [
    BuildStart(run_id=run_id, plan=PlanSummary(step_count=3, chain_count=1,
               default_runner="local"), started_at=datetime.now(UTC)),
    StepQueued(step_id=build, key="build", chain_idx=0),
    StepQueued(step_id=test, key="test <unit>", chain_idx=1),
    StepQueued(step_id=deploy, key="deploy", chain_idx=2),
    StepStart(step_id=build, runner="local"),
    StepEnd(step_id=build, exit_code=0, duration_ms=1250),
    StepStart(step_id=test, runner="local"),
    StepEnd(step_id=test, exit_code=3, duration_ms=250),
    BuildEnd(exit_code=1, duration_ms=1600),
]
with load_registry() as registry:
    for event in events:
        registry.dispatch_hook(
            HookEvent(event=event, phase=HookPhase.AFTER),
            lambda plugin: registry.host.context(plugin, run_id=run_id),
        )
"""


@pytest.fixture(scope="session")
def junit_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """
    A venv with harmont and hm-junit pip-installed from this checkout, built once per run.

    xdist workers share it: the first one builds it under a file lock, the others wait.
    """
    # Under xdist each worker's base temp sits in the session's directory; without it, the
    # base temp is the session's directory itself (its parent outlives the session).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base
    target = shared / "junit-venv"
    with (shared / "junit-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "ready").exists():
            venv.create(target, with_pip=True, clear=True)
            subprocess.run(
                [
                    str(target / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    str(REPO),
                    str(EXAMPLE),
                ],
                check=True,
                timeout=600,
            )
            (target / "ready").write_text("")
    return target


def _hm(
    venv_dir: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "PYTHON"))}
    child_env.update(HOME=str(cwd), NO_COLOR="1", COLUMNS="120", **(env or {}))
    return subprocess.run(
        [str(venv_dir / "bin" / "hm"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env,
        check=False,
        timeout=60,
    )


class TestJUnitExample:
    def test_listed_with_its_hook_and_verb(self, junit_venv: Path, tmp_path: Path) -> None:
        """The installed plugin shows in `hm plugin list` as a loaded Python plugin."""
        rows = json.loads(
            _hm(junit_venv, "plugin", "list", "--format", "json", cwd=tmp_path).stdout
        )
        junit = next(r for r in rows if r["name"] == "hm-junit")

        assert ("loaded", "python", "0.1.0", "hm-junit") == (
            junit["status"],
            junit["kind"],
            junit["version"],
            junit["distribution"],
        )
        assert [
            (
                "lifecycle_hook",
                "after",
                ["step_queued", "step_start", "step_cache_hit", "step_end", "build_end"],
            ),
            ("subcommand", "junit"),
        ] == [
            (c["kind"], c["phase"], c["events"])
            if c["kind"] == "lifecycle_hook"
            else (c["kind"], c["verb"])
            for c in junit["capabilities"]
        ]

    def test_show_renders_a_report(self, junit_venv: Path, tmp_path: Path) -> None:
        """`hm junit show FILE` prints a table of the report's steps."""
        report = tmp_path / "report.xml"
        report.write_text(SAMPLE)

        result = _hm(junit_venv, "junit", "show", str(report), cwd=tmp_path)

        assert (0, "") == (result.returncode, result.stderr)
        assert "3 steps: 1 passed, 1 failed, 1 skipped" in result.stdout
        assert "exited with code 3" in result.stdout

    def test_show_missing_file(self, junit_venv: Path, tmp_path: Path) -> None:
        """A missing report is the plugin's exit code 2 with its message on stderr."""
        result = _hm(junit_venv, "junit", "show", "nope.xml", cwd=tmp_path)

        assert 2 == result.returncode
        assert result.stderr.startswith("error: junit show: nope.xml: [Errno 2]")

    def test_hook_writes_a_valid_report(self, junit_venv: Path, tmp_path: Path) -> None:
        """Fed a build's events through the registry, the hook writes a JUnit report."""
        report = tmp_path / "out" / "junit.xml"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "PYTHON"))}
        env.update(HOME=str(tmp_path), HM_JUNIT_PATH=str(report))

        subprocess.run(
            [str(junit_venv / "bin" / "python"), "-c", textwrap.dedent(FEED_EVENTS)],
            check=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
        root = ET.parse(report).getroot()
        suite = root.find("testsuite")
        assert suite is not None
        cases = [
            (c.get("name"), c.get("classname"), c.get("time"), [e.tag for e in c])
            for c in suite.findall("testcase")
        ]

        assert ("testsuites", "3", "1") == (root.tag, root.get("tests"), root.get("failures"))
        assert "1" == suite.get("skipped")
        assert [
            ("build", "hm.local", "1.250", []),
            ("test <unit>", "hm.local", "0.250", ["failure"]),
            ("deploy", "hm.unknown", "0.000", ["skipped"]),
        ] == cases

    def test_default_report_path(self, junit_venv: Path, tmp_path: Path) -> None:
        """Without HM_JUNIT_PATH the report lands in .harmont/junit.xml of the cwd."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "PYTHON"))}
        env.update(HOME=str(tmp_path))

        subprocess.run(
            [str(junit_venv / "bin" / "python"), "-c", textwrap.dedent(FEED_EVENTS)],
            check=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        )

        assert "testsuites" == ET.parse(tmp_path / ".harmont" / "junit.xml").getroot().tag

    def test_hm_run_writes_the_report_of_the_build(self, junit_venv: Path, tmp_path: Path) -> None:
        """`hm run` of a real pipeline fires the installed hook, whose report matches the build."""
        (tmp_path / ".harmont").mkdir()
        (tmp_path / ".harmont" / "pipeline.py").write_text(
            textwrap.dedent(
                """
                import harmont as hm

                @hm.pipeline("junit-demo")
                def junit_demo():
                    built = hm.sh("echo built > out.txt", label="build")
                    return [built.sh("exit 3", label="test"), built.sh("cat out.txt", label="lint")]
                """
            )
        )
        report = tmp_path / "junit.xml"

        result = _hm(
            junit_venv,
            "run",
            "--runner",
            "local",
            "--keep-going",
            cwd=tmp_path,
            env={"HM_JUNIT_PATH": str(report)},
        )
        suite = ET.parse(report).getroot().find("testsuite")
        assert suite is not None
        outcomes = {
            case.get("name"): [child.tag for child in case] for case in suite.findall("testcase")
        }

        assert 1 == result.returncode, result.stderr
        assert {"build": [], "test": ["failure"], "lint": []} == outcomes


class TestJUnitReportOfARun:
    def test_the_report_is_written_under_the_project_with_hms_statuses(
        self, junit_venv: Path, tmp_path: Path
    ) -> None:
        """`hm run -d DIR` from elsewhere: the report is DIR's, one case per step hm reports."""
        project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
        project.mkdir()
        elsewhere.mkdir()
        (project / "pipeline.json").write_text(
            json.dumps(
                {
                    "version": "0",
                    "steps": [
                        {"type": "command", "key": "ok", "cmd": "true"},
                        {"type": "command", "key": "bad", "cmd": "exit 3"},
                        {"type": "command", "key": "slow", "cmd": "sleep 5", "timeout_seconds": 1},
                        {"type": "wait"},
                        {"type": "command", "key": "after", "cmd": "true"},
                    ],
                }
            )
        )

        done = _hm(
            junit_venv,
            "run",
            str(project / "pipeline.json"),
            "-d",
            str(project),
            "--runner",
            "local",
            "--keep-going",
            cwd=elsewhere,
        )
        root = ET.parse(project / ".harmont" / "junit.xml").getroot()
        suite = root.find("testsuite")
        assert suite is not None
        cases = {
            c.get("name"): [(e.tag, e.get("type"), e.get("message")) for e in c]
            for c in suite.findall("testcase")
        }

        assert 1 == done.returncode, done.stderr
        assert "1 passed, 1 failed, 1 timed out, 1 skipped" in done.stderr
        assert not (elsewhere / ".harmont").exists()
        assert {
            "ok": [],
            "bad": [("failure", "exit_code", "exited with code 3")],
            "slow": [("failure", "exit_code", "exited with code 124")],
            "after": [("skipped", None, "the step did not run")],
        } == cases
        assert ("4", "2", "0", "1") == (
            suite.get("tests"),
            suite.get("failures"),
            suite.get("errors"),
            suite.get("skipped"),
        )
