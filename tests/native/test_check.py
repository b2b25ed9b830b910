"""`hm plugin check` on native plugins: the C example, the Rust fixtures, and hostile ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.native.conftest import plugins_dir
from tests.plugins.check_support import check

if TYPE_CHECKING:
    from tests.native_support import Built
    from tests.plugins.check_support import Checked
    from tests.run.rig import Project


def _check(target: str, project: Project, *args: str) -> Checked:
    return check(project, target, *args)


def test_the_c_example_passes_every_check(native: Built, project: Project) -> None:
    """Its runner on pass, fail, cancel and timeout, its verb, both again from 8 threads."""
    done = _check(str(native.path("hm_c_hello")), project)

    runner = [f"runner:c-true {case}" for case in ("pass", "fail", "cancel", "timeout")]
    repeated = ["runner:c-true pass", "runner:c-true fail", "verb:c-hello"]
    assert (0, "") == (done.returncode, done.stderr)
    assert ["manifest", *runner, "verb:c-hello", *(f"{c} x8" for c in repeated)] == list(
        done.verdicts()
    )
    # c-true ends `exit 3` with exit 0: it runs no commands, and the report says so.
    noted = {"runner:c-true fail", "runner:c-true fail x8"}
    assert {n: "ok (runs no commands)" if n in noted else "ok" for n in done.verdicts()} == (
        done.verdicts()
    )
    assert done.stdout.splitlines()[-1].endswith(
        ": all 9 checks passed; runner:c-true fail ok (runs no commands), "
        "runner:c-true fail x8 ok (runs no commands)"
    )


def test_json_names_a_runner_that_runs_no_commands(native: Built, project: Project) -> None:
    """`--format json` gives each check its verdict: ok is not all a no-op runner earns."""
    done = _check(str(native.path("hm_c_hello")), project, "--format", "json")

    checks = done.data()["checks"]
    assert isinstance(checks, list)
    verdicts = {c["name"]: (c["ok"], c["verdict"]) for c in checks}
    assert (True, "ok (runs no commands)") == verdicts["runner:c-true fail"]
    assert (True, "ok") == verdicts["runner:c-true pass"]


@pytest.mark.parametrize(
    ("crate", "count"),
    [
        ("noop-executor", 7),
        ("null-executor", 7),
        ("freestyle-runner", 7),
        # Seven kinds in two phases, alone and from 8 threads, and the manifest.
        ("recording-hook", 29),
        ("host-fn-probe", 7),
        ("shifty", 11),
    ],
)
def test_the_rust_fixtures_pass(native: Built, project: Project, crate: str, count: int) -> None:
    """Every well-behaved fixture built with the Rust SDK passes as it is."""
    done = _check(str(native.path(crate)), project, "--format", "json")

    data = done.data()
    checks = data["checks"]
    assert isinstance(checks, list)
    assert (0, True, count) == (done.returncode, data["passed"], len(checks)), done.stdout


def test_a_crashing_runner_fails_its_checks_and_hm_survives(
    native: Built, project: Project
) -> None:
    """A library that segfaults in every step costs a worker per call, never `hm`."""
    done = _check(str(native.path("crashing-executor")), project)

    runner = {f"runner:crash {case}" for case in ("pass", "fail", "cancel", "timeout")}
    assert (1, runner) == (done.returncode, done.failed())
    assert done.reason("runner:crash pass") == (
        "plugin 'harmont-fixture-crash' failed during 'execute_step': "
        "its worker process died of SIGSEGV"
    )


def test_an_installed_plugin_is_checked_isolated_by_name(native: Built, project: Project) -> None:
    """By name too: the settings load it in process, the check runs it in a worker anyway."""
    native.install("crashing-executor", plugins_dir(project), "harmont-fixture-crash")
    project.env["HM_NATIVE_ISOLATION"] = "in-process"

    done = _check("harmont-fixture-crash", project)

    assert (1, "ok") == (done.returncode, done.verdicts()["manifest"])
    assert "its worker process died of SIGSEGV" in done.reason("runner:crash pass")


def test_a_hanging_hook_fails_at_its_timeout(native: Built, project: Project) -> None:
    """A hook that never returns fails at its own timeout_ms, in each phase."""
    done = _check(str(native.path("hanging-hook")), project)

    assert (1, {"hook:step_start before", "hook:step_start after"}) == (
        done.returncode,
        done.failed(),
    )
    # Whichever gives up first at 300 ms: the host's wait, or the worker's own bound.
    assert done.reason("hook:step_start before") in {
        "plugin 'harmont-fixture-hang' timed out after 300ms during 'on_hook_event'",
        "plugin 'harmont-fixture-hang' failed during 'on_hook_event': "
        "no answer within 0.3s; the call was abandoned",
    }


def test_undecodable_results_fail_naming_what_came_back(native: Built, project: Project) -> None:
    """Bytes that are no StepResult, a status that is no status: each check says which."""
    done = _check(str(native.path("garbage_payloads")), project)

    assert 1 == done.returncode
    assert "manifest" not in done.failed()
    assert "its StepResult result does not decode" in done.reason("runner:garbage pass")
    assert "returned status 42" in done.reason("hook:step_start before")


def test_a_library_of_another_api_version_fails_its_manifest(
    native: Built, project: Project
) -> None:
    """The manifest check is the loader's validation: an api_version mismatch fails it."""
    done = _check(str(native.path("bad_api_version")), project)

    assert (1, {"manifest": "FAIL"}) == (done.returncode, done.verdicts())
    assert "api_version mismatch (plugin: 9999, host: 2)" in done.reason("manifest")
