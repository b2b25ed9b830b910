"""
Native plugins that misbehave, through `hm` itself: what each costs is one call, one step
or one plugin, said in one line, and never a hung or lying `hm`.

The fixtures are real libraries built by cargo and cc (``shifty``, ``huge_length``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harmont.protocol import BuildEnd, ChainFailed, StepEnd
from tests.native.conftest import plugin_kv, plugins_dir
from tests.run.rig import (
    TIMEOUT_SECONDS,
    Build,
    Project,
    command,
    survivors,
)

if TYPE_CHECKING:
    from tests.native_support import Built

pytestmark = pytest.mark.cargo


def _statuses(done: Build) -> dict[str, int]:
    """Step key -> the exit code of its step_end."""
    keys = done.keys()
    return {keys[e.step_id]: e.exit_code for e in done.of(StepEnd)}


def _listed(project: Project) -> dict[str, tuple[str, str | None]]:
    done = project.hm("plugin", "list", "--format", "json", raw=True)
    assert 0 == done.returncode, done.stderr
    return {row["name"]: (row["status"], row["error"]) for row in json.loads(done.stdout)}


class TestNames:
    @pytest.mark.parametrize(
        "name",
        ["../escaped", "", ".hidden", "two words", "x" * 65, "evil\x1b[2J", "sl/ash"],
    )
    def test_install_refuses_a_name_that_is_not_a_plain_word(
        self, native: Built, project: Project, name: str
    ) -> None:
        """A manifest name that is not a plain word is refused (exit 5); nothing is written."""
        project.env["HM_FIXTURE_NAME"] = name
        home = Path(project.env["HOME"])

        done = project.hm("plugin", "install", str(native.path("shifty")), raw=True)

        assert 5 == done.returncode, done.stderr
        [line, *_] = done.stderr.splitlines()
        assert "is not a plain word" in line
        assert "\x1b" not in done.stderr
        assert [] == [p for p in home.rglob("*") if p.suffix == ".so"]

    @pytest.mark.parametrize("name", ["local", "docker", "run", "plugin", "Local"])
    def test_install_refuses_the_name_of_a_builtin(
        self, native: Built, project: Project, name: str
    ) -> None:
        """A plugin named like a built-in runner or command is refused at install (exit 5)."""
        project.env["HM_FIXTURE_NAME"] = name

        done = project.hm("plugin", "install", str(native.path("shifty")), raw=True)

        assert 5 == done.returncode, done.stderr
        assert "the name is taken by a" in done.stderr.splitlines()[0]
        assert not plugins_dir(project).exists()

    def test_a_relative_path_installs_the_file_it_names(
        self, native: Built, project: Project, tmp_path: Path
    ) -> None:
        """`./libx.so` is that file, not a library of that name on dlopen's search path."""
        elsewhere = tmp_path / "elsewhere"
        native.install("noop-executor", elsewhere, "libx")
        native.install("freestyle-runner", project.root, "libx")
        project.env["LD_LIBRARY_PATH"] = str(elsewhere)
        suffix = native.path("shifty").suffix

        done = project.hm("plugin", "install", f"./libx{suffix}", raw=True)

        assert 0 == done.returncode, done.stderr
        assert ["harmont-fixture-freestyle" + suffix] == [
            p.name for p in plugins_dir(project).glob(f"*{suffix}")
        ]


class TestBoundedManifests:
    @pytest.mark.slow
    @pytest.mark.parametrize("isolation", ["in-process", "process"])
    def test_a_hanging_manifest_is_listed_broken_and_builds_go_on(
        self, native: Built, project: Project, isolation: str
    ) -> None:
        """A library whose manifest never returns is broken, with why; `hm run` still runs."""
        native.install("shifty", plugins_dir(project), "shifty")
        project.env.update(HM_FIXTURE_MANIFEST="hang", HM_NATIVE_ISOLATION=isolation)
        project.pipeline(command("hello", "echo hi"))

        status, error = _listed(project)["shifty"]
        done = project.hm()

        assert "broken" == status
        assert error is not None
        assert "within 10s" in error
        assert (0, ["hi"]) == (done.returncode, done.logs("hello")), done.stderr


class TestIsolation:
    @pytest.fixture
    def isolated(self, native: Built, project: Project) -> Project:
        native.install("shifty", plugins_dir(project), "shifty")
        project.env["HM_NATIVE_ISOLATION"] = "process"
        return project

    def test_a_hook_of_the_emitting_plugin_is_answered_while_it_runs(
        self, isolated: Project
    ) -> None:
        """Its own step_log hook sees every line an isolated runner emits; the build passes."""
        isolated.pipeline(
            command("one", "log 20", runner="shifty"), command("two", "log 20", runner="shifty")
        )

        done = isolated.hm()
        seen = [plugin_kv(isolated, "harmont-fixture-shifty", f"seen:line {i}") for i in range(20)]

        assert 0 == done.returncode, done.stderr
        assert [f"line {i}" for i in range(20)] == done.logs("one") == done.logs("two")
        assert [b"1"] * 20 == seen

    @pytest.mark.slow
    def test_one_calls_timeout_fails_that_call_only(
        self, isolated: Project, tmp_path: Path
    ) -> None:
        """A hung call times out its step; a call in flight in the same worker still passes."""
        release = tmp_path / "release"
        isolated.pipeline(
            command("stuck", "hang", runner="shifty", timeout_seconds=1),
            command("patient", f"wait-for {release}", runner="shifty"),
        )
        lines = []
        with (
            (tmp_path / "stderr").open("w+") as stderr,
            isolated.start("--keep-going", stderr=stderr) as process,
        ):
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if '"step_end"' in line:
                    release.touch()  # only once the hung call has been given up on
            process.wait(TIMEOUT_SECONDS)
            stderr.seek(0)
            done = Build(process.returncode, "".join(lines), stderr.read())

        assert {"stuck": 124, "patient": 0} == _statuses(done)
        assert ["done"] == done.logs("patient")
        assert [1] == [e.exit_code for e in done.of(BuildEnd)]
        assert 1 == done.returncode, done.stderr

    @pytest.mark.slow
    def test_the_pipeline_timeout_abandons_a_hung_call_and_kills_its_worker(
        self, isolated: Project
    ) -> None:
        """With a 3 s pipeline timeout, a runner that never returns is cancelled; hm exits 1."""
        isolated.pipeline(command("stuck", "hang", runner="shifty"), timeout_seconds=3)
        with isolated.start() as process:
            out, err = process.communicate(timeout=TIMEOUT_SECONDS)
        done = Build(process.returncode, out, err)

        assert {"stuck": 130} == _statuses(done)
        assert ["step 'stuck' was cancelled"] == [e.message for e in done.of(ChainFailed)]
        assert [1] == [e.exit_code for e in done.of(BuildEnd)]
        assert 1 == done.returncode
        assert "pipeline timed out after 3s" in done.stderr
        assert [] == survivors(str(plugins_dir(isolated)))


class TestImpossibleLengths:
    @pytest.mark.parametrize("isolation", ["in-process", "process"])
    def test_a_terabyte_buffer_is_named_not_read(
        self, native: Built, project: Project, isolation: str
    ) -> None:
        """A returned length of 1 TiB errors the step (exit 6) and says what came back."""
        native.install("huge_length", plugins_dir(project), "harmont-fixture-huge")
        project.env["HM_NATIVE_ISOLATION"] = isolation
        project.pipeline(command("big", "ignored", runner="huge"))

        done = project.hm()

        assert 6 == done.returncode
        [failed] = done.of(ChainFailed)
        assert (
            "plugin 'harmont-fixture-huge' failed during 'execute_step': the plugin returned "
            f"a buffer length of {1 << 40} bytes, more than it can have"
        ) == failed.message
