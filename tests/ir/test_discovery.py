"""Discovery: pipeline files run in a controlled child interpreter and answer an envelope."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from harmont import Cancelled, PipelineRenderError, UnknownPipeline, UsageError
from harmont._pipelines import (
    EMPTY_ENVELOPE,
    load_pipeline,
    render_envelope,
    resolve_definition,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "pipelines" / "hello"

_ONE_PIPELINE = """\
import harmont as hm


@hm.pipeline("{slug}")
def pipeline():
    return [hm.sh("echo {slug}")]
"""


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _slugs(envelope: str) -> list[str]:
    return [entry["slug"] for entry in json.loads(envelope)["pipelines"]]


def _alive(pid: int) -> bool:
    """Whether process *pid* exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class TestEnvelope:
    def test_repo_without_pipeline_files_declares_nothing(self, tmp_path: Path) -> None:
        """No .harmont/ or .hm/ files: the empty envelope, without starting Python."""
        assert '{"schema_version": "1", "pipelines": []}' == render_envelope(tmp_path)
        assert EMPTY_ENVELOPE == render_envelope(tmp_path)

    def test_example_project_declares_its_pipelines(self) -> None:
        """The example project's pipeline file renders both of its pipelines."""
        assert ["hello", "hello-broken"] == _slugs(render_envelope(EXAMPLE))

    def test_files_of_both_directories_are_imported_in_order(self, tmp_path: Path) -> None:
        """.harmont/*.py (sorted) then .hm/*.py are all imported."""
        repo = _repo(
            tmp_path,
            {
                ".harmont/b.py": _ONE_PIPELINE.format(slug="from-b"),
                ".harmont/a.py": _ONE_PIPELINE.format(slug="from-a"),
                ".hm/pipeline.py": _ONE_PIPELINE.format(slug="from-hm"),
            },
        )

        assert ["from-a", "from-b", "from-hm"] == _slugs(render_envelope(repo))

    def test_helper_module_shared_by_two_files_is_imported_once(self, tmp_path: Path) -> None:
        """A pipeline file imported by another is not imported again (nor registered twice)."""
        repo = _repo(
            tmp_path,
            {
                ".harmont/ci.py": "import shared\n" + _ONE_PIPELINE.format(slug="ci"),
                ".harmont/shared.py": _ONE_PIPELINE.format(slug="shared"),
            },
        )

        assert ["shared", "ci"] == _slugs(render_envelope(repo))

    def test_prints_in_pipeline_files_do_not_corrupt_the_envelope(
        self, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """What a pipeline file prints goes to stderr; stdout carries only the answer."""
        repo = _repo(
            tmp_path,
            {".harmont/p.py": "print('noise')\n" + _ONE_PIPELINE.format(slug="p")},
        )

        assert ["p"] == _slugs(render_envelope(repo))
        assert "noise\n" == capfd.readouterr().err

    def test_discovery_writes_no_bytecode_into_the_repo(self, tmp_path: Path) -> None:
        """Importing pipeline files leaves no __pycache__ behind."""
        repo = _repo(
            tmp_path,
            {
                ".harmont/ci.py": "import shared\n" + _ONE_PIPELINE.format(slug="ci"),
                ".harmont/shared.py": "X = 1\n",
            },
        )

        render_envelope(repo)

        assert [] == list(repo.rglob("__pycache__"))


class TestControlledEnvironment:
    def test_child_sees_only_the_fixed_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The child gets a cleared env, the repo root as cwd and an empty stdin."""
        monkeypatch.setenv("HM_SECRET_OF_THE_PARENT", "leaked")
        repo = _repo(
            tmp_path,
            {
                ".harmont/probe.py": (
                    "import json, os, sys\n"
                    "seen = {'env': dict(os.environ), 'cwd': os.getcwd(), "
                    "'stdin': sys.stdin.read()}\n"
                    "open('probe.json', 'w').write(json.dumps(seen))\n"
                ),
            },
        )

        render_envelope(repo)
        seen = json.loads((repo / "probe.json").read_text())

        harmont_home = str(Path(__file__).parents[2])
        assert {
            "PYTHONPATH": f"{harmont_home}:{repo / '.harmont'}",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        } == seen["env"]
        assert (str(repo.resolve()), "") == (seen["cwd"], seen["stdin"])

    def test_repo_root_does_not_shadow_our_harmont(self, tmp_path: Path) -> None:
        """A harmont/ directory at the repo root is not what the pipeline files import."""
        repo = _repo(
            tmp_path,
            {
                "harmont/__init__.py": "raise ImportError('the repo shadowed harmont')\n",
                ".harmont/p.py": _ONE_PIPELINE.format(slug="p"),
            },
        )

        assert ["p"] == _slugs(render_envelope(repo))

    @pytest.mark.slow
    def test_hanging_pipeline_file_times_out(self, tmp_path: Path) -> None:
        """A pipeline file that never finishes is an error after the timeout, not a hang."""
        repo = _repo(tmp_path, {".harmont/hang.py": "import time\ntime.sleep(60)\n"})
        started = time.monotonic()

        with pytest.raises(PipelineRenderError) as info:
            render_envelope(repo, timeout=1)

        assert time.monotonic() - started < 10
        assert f"the pipeline files of {repo.resolve()} did not finish importing within 1 s" == str(
            info.value
        )

    def test_cancel_ends_discovery_at_once(self, tmp_path: Path) -> None:
        """Setting the cancel event (Ctrl-C in `hm run`) stops a long import within a second."""
        repo = _repo(tmp_path, {".harmont/hang.py": "import time\ntime.sleep(60)\n"})
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        started = time.monotonic()

        with pytest.raises(Cancelled) as info:
            render_envelope(repo, cancel=cancel)

        assert time.monotonic() - started < 1.5
        assert f"cancelled while importing the pipeline files of {repo.resolve()}" == str(
            info.value
        )


class TestLeftovers:
    def test_background_process_of_a_pipeline_file_is_killed(self, tmp_path: Path) -> None:
        """A process a pipeline file starts in the background does not outlive discovery."""
        repo = _repo(
            tmp_path,
            {
                ".harmont/p.py": "import subprocess\n"
                "subprocess.run('sleep 1000 & echo $! > sleeper.pid', shell=True, check=True)\n"
                + _ONE_PIPELINE.format(slug="p")
            },
        )

        render_envelope(repo)
        pid = int((repo / "sleeper.pid").read_text())
        try:
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

            assert not _alive(pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class TestFailures:
    def _failure(self, tmp_path: Path, files: dict[str, str]) -> PipelineRenderError:
        with pytest.raises(PipelineRenderError) as info:
            render_envelope(_repo(tmp_path, files))
        return info.value

    def test_exception_at_import_names_file_and_line(self, tmp_path: Path) -> None:
        """A pipeline file that raises is reported by its file, line and message."""
        error = self._failure(
            tmp_path, {".harmont/pipeline.py": "import harmont\n\nraise ValueError('boom')\n"}
        )

        assert ".harmont/pipeline.py:3: ValueError: boom" == str(error)
        assert (".harmont/pipeline.py", 3) == (error.path, error.line)

    def test_exception_while_rendering_names_the_line_in_the_pipeline(self, tmp_path: Path) -> None:
        """An error raised by a pipeline function during rendering points into its body."""
        error = self._failure(
            tmp_path,
            {
                ".hm/ci.py": (
                    "import harmont as hm\n\n\n"
                    "@hm.pipeline('ci')\n"
                    "def ci():\n"
                    "    return [hm.sh('make').sh('make test', cwd='')]\n"
                )
            },
        )

        assert (".hm/ci.py", 6) == (error.path, error.line)
        assert str(error).startswith(".hm/ci.py:6: ValueError: ")

    def test_syntax_error_names_file_and_line(self, tmp_path: Path) -> None:
        """A file that does not parse is reported at the offending line."""
        error = self._failure(tmp_path, {".harmont/bad.py": "x = 1\ndef broken(:\n"})

        assert (".harmont/bad.py", 2) == (error.path, error.line)
        assert str(error).startswith(".harmont/bad.py:2: SyntaxError: ")

    def test_dsl_error_in_a_second_file_names_that_file(self, tmp_path: Path) -> None:
        """A duplicate slug is reported where the second registration happens."""
        error = self._failure(
            tmp_path,
            {
                ".harmont/a.py": _ONE_PIPELINE.format(slug="ci"),
                ".harmont/b.py": _ONE_PIPELINE.format(slug="ci"),
            },
        )

        assert ".harmont/b.py" == error.path
        assert error.line is not None

    def test_sys_exit_in_a_pipeline_file_is_reported(self, tmp_path: Path) -> None:
        """Even SystemExit is caught in the child and reported as a render error."""
        error = self._failure(tmp_path, {".harmont/quit.py": "import sys\nsys.exit(3)\n"})

        assert ".harmont/quit.py:2: SystemExit: 3" == str(error)

    def test_multi_line_message_keeps_the_first_line_and_hints_the_rest(
        self, tmp_path: Path
    ) -> None:
        """The error line is the message's first line; the rest becomes the hint."""
        error = self._failure(
            tmp_path, {".harmont/p.py": "raise RuntimeError('first\\n  → then fix it')\n"}
        )

        assert (".harmont/p.py:1: RuntimeError: first", "then fix it") == (
            str(error),
            error.hint,
        )


class TestSlugSelection:
    def test_only_pipeline_is_chosen(self, tmp_path: Path) -> None:
        """A repo with one pipeline needs no slug."""
        repo = _repo(tmp_path, {".harmont/p.py": _ONE_PIPELINE.format(slug="only")})

        assert "only" == load_pipeline(repo).slug

    def test_several_pipelines_need_a_slug(self) -> None:
        """The message lists the repo's pipelines and says to pass one (docs/ir.md, Discovery)."""
        with pytest.raises(UnknownPipeline) as info:
            load_pipeline(EXAMPLE)

        assert "this repo declares pipelines: hello, hello-broken — pass one with --slug" == str(
            info.value
        )

    def test_repo_without_pipelines_says_how_to_add_one(self, tmp_path: Path) -> None:
        """No pipeline at all: the message says where to declare one."""
        with pytest.raises(UnknownPipeline) as info:
            load_pipeline(tmp_path)

        assert (
            "no pipelines declared in this repo",
            'add @hm.pipeline("slug") to a function in .harmont/pipeline.py',
        ) == (str(info.value), info.value.hint)

    def test_unknown_slug_lists_the_available_ones(self) -> None:
        """An unknown slug is reported with the available slugs."""
        with pytest.raises(UnknownPipeline) as info:
            load_pipeline(EXAMPLE, "nope")

        assert ("pipeline 'nope' not found", "available: hello, hello-broken") == (
            str(info.value),
            info.value.hint,
        )


class TestResolve:
    """How `hm run` and `hm render` name a pipeline: one rule for the repo, files and stdin."""

    def test_slug_option_picks_a_pipeline_of_the_repo(self) -> None:
        """--slug names a pipeline of the repo as it does one of an envelope file."""
        assert "hello-broken" == resolve_definition(None, root=EXAMPLE, slug="hello-broken").slug

    def test_first_argument_and_slug_option_may_agree(self) -> None:
        """The same slug given both ways is that pipeline."""
        assert "hello" == resolve_definition("hello", root=EXAMPLE, slug="hello").slug

    def test_first_argument_and_slug_option_that_differ_are_refused(self) -> None:
        """Two different slugs are a usage error naming both."""
        with pytest.raises(UsageError) as info:
            resolve_definition("hello", root=EXAMPLE, slug="hello-broken")

        assert (
            "two pipelines named: 'hello' as the first argument and 'hello-broken' with --slug",
            "name one of them",
        ) == (str(info.value), info.value.hint)

    def test_envelope_on_stdin_says_the_same_as_the_repo(self) -> None:
        """Several pipelines on stdin or in the repo: the same message, naming --slug."""
        envelope = render_envelope(EXAMPLE)

        with pytest.raises(UnknownPipeline) as from_stdin:
            resolve_definition("-", root=EXAMPLE, stdin=io.StringIO(envelope))
        with pytest.raises(UnknownPipeline) as from_repo:
            resolve_definition(None, root=EXAMPLE)

        assert (
            "envelope <stdin> declares pipelines: hello, hello-broken — pass one with --slug",
            "this repo declares pipelines: hello, hello-broken — pass one with --slug",
        ) == (str(from_stdin.value), str(from_repo.value))
