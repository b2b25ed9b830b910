"""`hm plugin check` on Python plugins: the JUnit example, a built-in, wrong plugins."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.plugins.check_support import check
from tests.plugins.conftest import write_dist
from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from tests.plugins.check_support import Checked

REPO = Path(__file__).resolve().parents[2]
JUNIT = REPO / "examples" / "plugins" / "hm-junit" / "src" / "hm_junit" / "__init__.py"
WRONG = Path(__file__).resolve().parent / "check_fixtures" / "wrong.py"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A private home; PYTHONPATH holds a site directory for installed test plugins."""
    for directory in ("project", "home", "site"):
        (tmp_path / directory).mkdir()
    env = {**hm_environment(tmp_path / "home"), "PYTHONPATH": str(tmp_path / "site")}
    return Project(root=tmp_path / "project", runner="local", env=env)


def _check(target: str | Path, project: Project, *args: str) -> Checked:
    return check(project, str(target), *args)


def test_the_junit_example_passes_every_check(project: Project) -> None:
    """Each event kind it subscribes to in both phases, its verb, all again from 8 threads."""
    done = _check(f"{JUNIT}:JUnitPlugin", project)

    kinds = ["step_queued", "step_start", "step_cache_hit", "step_end", "build_end"]
    alone = [f"hook:{k} {p}" for k in kinds for p in ("before", "after")] + ["verb:junit show"]
    assert (0, "") == (done.returncode, done.stderr)
    names = ["manifest", *alone, *(f"{c} x8" for c in alone)]
    assert dict.fromkeys(names, "ok") == done.verdicts()
    assert done.stdout.splitlines()[-1].startswith("hm-junit 0.1.0 (python, ")
    assert done.stdout.splitlines()[-1].endswith(": all 23 checks passed")


def test_json_reports_every_check_with_its_time(project: Project) -> None:
    """`--format json` is one object: the plugin, whether it passed, each check timed."""
    done = _check(f"{JUNIT}:JUnitPlugin", project, "--format", "json")

    data = done.data()
    checks = data["checks"]
    assert isinstance(checks, list)
    assert (0, "hm-junit", "0.1.0", "python", True) == (
        done.returncode,
        data["plugin"],
        data["version"],
        data["kind"],
        data["passed"],
    )
    assert 23 == len(checks)
    assert all(c["ok"] and c["reason"] is None and c["ms"] >= 0 for c in checks)


def test_a_built_in_runner_passes_by_name(project: Project) -> None:
    """`local` really runs the steps: a failing one reports its code, from 8 threads too."""
    done = _check("local", project)

    assert 0 == done.returncode, done.stdout + done.stderr
    assert {
        "runner:local pass",
        "runner:local fail",
        "runner:local cancel",
        "runner:local timeout",
        "runner:local pass x8",
        "runner:local fail x8",
    } <= set(done.verdicts())
    assert ("ok", "ok") == (
        done.verdicts()["runner:local fail"],
        done.verdicts()["runner:local fail x8"],
    )


@pytest.mark.parametrize(
    ("attr", "failed", "reason"),
    [
        pytest.param(
            "BadShapeRunner",
            {
                "runner:bad-shape pass",
                "runner:bad-shape fail",
                "runner:bad-shape cancel",
                "runner:bad-shape timeout",
            },
            "returned StepResult(exit_code='0', committed_snapshot=None, artifacts=()), "
            "which does not encode: cannot encode StepResult.exit_code as borsh: "
            "expected i32 (-2147483648..2147483647), got '0'",
            id="a runner's result of the wrong shape",
        ),
        pytest.param(
            "ExitingHook",
            {"hook:step_end before", "hook:step_end after"},
            "plugin 'check-exiting-hook' raised SystemExit during 'on_hook_event': 3",
            id="a hook that raises SystemExit",
        ),
        pytest.param(
            "OneCallAtATime",
            {"verb:one x8"},
            "returned ExitInfo(exit_code=1, message='another call was in progress'), "
            "but ExitInfo(exit_code=0, message=None) when called alone",
            id="a verb that is wrong under 8 threads",
        ),
        pytest.param(
            "SharedStateRunner",
            {"runner:shared fail x8"},
            "ended with exit 1",
            id="a runner that mixes up the steps of 8 threads",
        ),
    ],
)
def test_a_wrong_plugin_fails_the_check_it_breaks(
    project: Project, attr: str, failed: set[str], reason: str
) -> None:
    """Exit 1, the broken checks named FAIL with what came back, the others still ok."""
    done = _check(f"{WRONG}:{attr}", project)

    first = sorted(failed)[0]
    assert (1, failed) == (done.returncode, done.failed())
    assert reason in done.reason(first)
    assert f"{len(failed)} of " in done.stdout.splitlines()[-1]


@pytest.mark.slow
def test_a_runner_deaf_to_cancel_and_timeout_fails_and_hm_goes_on(project: Project) -> None:
    """A runner that never returns is abandoned past the grace period; hm reports and exits."""
    done = _check(f"{WRONG}:DeafRunner", project)

    assert (1, {"runner:deaf cancel", "runner:deaf timeout"}) == (done.returncode, done.failed())
    assert done.reason("runner:deaf cancel") == (
        "plugin 'check-deaf-runner' did not end 'execute_step' within 5s of being asked to "
        "stop; it was abandoned"
    )
    assert done.reason("runner:deaf timeout") == (
        "plugin 'check-deaf-runner' did not end 'execute_step' within 5s of its 1s time "
        "limit; it was abandoned"
    )


@pytest.mark.slow
def test_a_module_that_never_finishes_importing_fails_its_manifest(project: Project) -> None:
    """Importing a plugin file is bounded as reading a manifest is: 10 s, then a failure."""
    done = _check(WRONG.parent / "stuck.py", project)

    assert (1, {"manifest": "FAIL"}) == (done.returncode, done.verdicts())
    assert done.reason("manifest").endswith("timed out after 10000ms during 'import'")


def test_an_installed_plugin_that_does_not_load_fails_its_manifest(project: Project) -> None:
    """By name, a broken installed plugin is a failed manifest check, with the load error."""
    write_dist(Path(project.env["PYTHONPATH"]), "brittle", "raise ImportError('no such thing')\n")

    done = _check("brittle", project)

    assert (1, {"manifest": "FAIL"}) == (done.returncode, done.verdicts())
    assert "ImportError: no such thing" in done.reason("manifest")


def test_a_file_without_a_plugin_fails_its_manifest(project: Project) -> None:
    """A Python file whose module is no plugin: the registry's own validation says so."""
    (project.root / "empty.py").write_text("X = 1\n")

    done = _check(project.root / "empty.py", project)

    assert (1, {"manifest": "FAIL"}) == (done.returncode, done.verdicts())
    assert "does not implement hm_plugin_manifest" in done.reason("manifest")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no-such-plugin", "error: no plugin named 'no-such-plugin' is installed"),
        ("missing.so", "error: cannot read 'missing.so': No such file or directory"),
        ("missing.py:Plugin", "error: cannot read 'missing.py': No such file or directory"),
        (
            "pipeline.json",
            "error: cannot check 'pipeline.json': it is not an installed plugin's name, "
            "a native library (.so) or a Python file (FILE.py[:ATTR])",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project: Project, target: str, message: str) -> None:
    """An unknown name or an unreadable file: an error line and a hint, no report."""
    (project.root / "pipeline.json").write_text("{}")

    done = _check(target, project)

    assert (2, "", message) == (done.returncode, done.stdout, done.stderr.splitlines()[0])
    assert done.stderr.splitlines()[1].startswith("hint: ")


def test_hm_help_lists_the_check_verb(project: Project) -> None:
    """`hm plugin --help` lists `check`; `hm --help`, cached or not, says the group checks."""

    def hm(*args: str) -> str:
        done = project.hm(*args, raw=True)
        assert 0 == done.returncode, done.stderr
        return done.stdout

    roots = [hm("--help") for _ in range(2)]  # the second is answered from the index
    group = hm("plugin", "--help")

    summary = "List, inspect, install, remove, check, freeze and sync plugins."
    assert all(summary in r for r in roots)
    assert any(line.split()[:1] == ["check"] for line in group.splitlines())


#: An installed hook plugin subscribed to every event kind in both phases; format with
#: its name and the file it appends each event's kind to.
_RECORDER = """
    from harmont_sdk import HookContinue, LifecycleHook, hook, manifest

    KINDS = ["build_start", "step_queued", "step_start", "step_log", "step_cache_hit",
             "step_end", "build_end"]


    class Plugin(LifecycleHook):
        manifest = manifest(
            "{name}", "1.0.0", hook(KINDS, phase="before"), hook(KINDS, phase="after")
        )

        def on_event(self, context, hook_event):
            with open({log!r}, "a") as log:
                log.write(hook_event.event.KIND + "\\n")
            return HookContinue()


    plugin = Plugin
"""


def test_checking_one_installed_plugin_delivers_nothing_to_the_others(
    project: Project, tmp_path: Path
) -> None:
    """Loaded by name among the others, only the plugin named hears the check's events."""
    site = Path(project.env["PYTHONPATH"])
    checked, other = tmp_path / "checked.log", tmp_path / "other.log"
    write_dist(site, "checked-hook", _RECORDER.format(name="checked-hook", log=str(checked)))
    write_dist(site, "other-hook", _RECORDER.format(name="other-hook", log=str(other)))

    done = _check("checked-hook", project)

    assert 0 == done.returncode, done.stdout + done.stderr
    assert "build_end" in checked.read_text().split()
    assert not other.exists(), other.read_text()
