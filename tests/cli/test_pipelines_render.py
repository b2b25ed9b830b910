"""`hm pipelines` and `hm render`: output, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from ir.malformed_cases import MALFORMED, MALFORMED_DIR

from harmont_cli._app import build_app

EXAMPLE = Path(__file__).parents[2] / "examples" / "pipelines" / "hello"


def _hm(
    capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run `hm` in-process and return (exit code, stdout, stderr)."""
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = build_app()(list(args))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def _flat_document() -> dict[str, object]:
    return {
        "version": "0",
        "steps": [
            {"type": "command", "key": "build", "cmd": "make"},
            {"type": "wait", "continue_on_failure": True},
            {"type": "command", "key": "notify", "cmd": "echo done"},
        ],
    }


class TestPipelines:
    def test_prints_the_envelope_of_the_example(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`hm pipelines -d` prints the envelope JSON of the repo, and nothing else."""
        code, out, _ = _hm(capsys, "pipelines", "-d", str(EXAMPLE))

        envelope = json.loads(out)
        assert 0 == code
        assert ("1", ["hello", "hello-broken"]) == (
            envelope["schema_version"],
            [entry["slug"] for entry in envelope["pipelines"]],
        )

    def test_repo_without_files_prints_the_empty_envelope(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """No pipeline files: the empty envelope, exit 0."""
        assert (0, '{"schema_version": "1", "pipelines": []}\n', "") == _hm(
            capsys, "pipelines", "--dir", str(tmp_path)
        )

    def test_missing_directory_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A -d that does not exist is exit 2 with one line."""
        missing = tmp_path / "missing"

        assert (2, "", f"error: repo directory {str(missing)!r} does not exist\n") == _hm(
            capsys, "pipelines", "-d", str(missing)
        )

    def test_pipeline_file_that_raises_is_exit_2_with_file_and_line(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The failing file's path, line and message make the one error line."""
        (tmp_path / ".harmont").mkdir()
        (tmp_path / ".harmont" / "pipeline.py").write_text("x = 1\nraise KeyError('k')\n")

        assert (2, "", "error: .harmont/pipeline.py:2: KeyError: 'k'\n") == _hm(
            capsys, "pipelines", "-d", str(tmp_path)
        )


class TestRenderSlug:
    def test_renders_one_pipeline_of_the_repo(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`hm render SLUG` prints that pipeline's definition, as the envelope has it."""
        _, envelope, _ = _hm(capsys, "pipelines", "-d", str(EXAMPLE))
        code, out, _ = _hm(capsys, "render", "hello", "-d", str(EXAMPLE))

        assert 0 == code
        assert json.loads(envelope)["pipelines"][0]["definition"] == json.loads(out)

    def test_several_pipelines_without_a_slug_is_exit_2(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without a slug in a repo of several pipelines, the user is told to pick one."""
        assert (
            2,
            "",
            "error: this repo declares pipelines: hello, hello-broken — pass one with --slug\n",
        ) == _hm(capsys, "render", "-d", str(EXAMPLE))

    def test_unknown_slug_is_exit_2_with_the_available_ones(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown slug is one error line and a hint listing the slugs."""
        assert (
            2,
            "",
            "error: pipeline 'nope' not found\nhint: available: hello, hello-broken\n",
        ) == _hm(capsys, "render", "nope", "-d", str(EXAMPLE))

    def test_slug_option_picks_a_pipeline_of_the_repo(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--slug picks a repo's pipeline, as it picks one of an envelope file."""
        _, by_argument, _ = _hm(capsys, "render", "hello-broken", "-d", str(EXAMPLE))

        assert (0, by_argument, "") == _hm(
            capsys, "render", "--slug", "hello-broken", "-d", str(EXAMPLE)
        )

    def test_two_different_slugs_are_a_usage_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A slug as the argument and another with --slug is exit 2 naming both."""
        code, _, err = _hm(capsys, "render", "hello", "--slug", "x", "-d", str(EXAMPLE))

        assert (
            2,
            "error: two pipelines named: 'hello' as the first argument and 'x' with --slug\n"
            "hint: name one of them\n",
        ) == (code, err)


class TestRenderFile:
    def test_flat_file_is_validated_and_printed_back(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A flat-form file comes back as the same JSON document."""
        path = tmp_path / "ir.json"
        path.write_text(json.dumps(_flat_document(), indent=2))

        code, out, _ = _hm(capsys, "render", str(path))

        assert (0, _flat_document()) == (code, json.loads(out))

    def test_stdin_is_read_with_a_dash(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`hm render -` reads the document from stdin."""
        code, out, _ = _hm(capsys, "render", "-", stdin=json.dumps(_flat_document()))

        assert (0, _flat_document()) == (code, json.loads(out))

    def test_bad_stdin_names_stdin(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Errors in a document from stdin are prefixed with <stdin>."""
        assert (2, "", 'error: <stdin>: missing "version": add "version": "0"\n') == _hm(
            capsys, "render", "-", stdin='{"steps": []}'
        )

    def test_envelope_file_with_a_slug(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """--slug picks a pipeline of an envelope file; its definition is printed."""
        _, envelope, _ = _hm(capsys, "pipelines", "-d", str(EXAMPLE))
        path = tmp_path / "envelope.json"
        path.write_text(envelope)

        code, out, _ = _hm(capsys, "render", str(path), "--slug", "hello-broken")

        assert 0 == code
        assert json.loads(envelope)["pipelines"][1]["definition"] == json.loads(out)

    def test_envelope_file_without_a_slug_says_to_pass_one(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """An envelope of several pipelines needs --slug, and the message says so."""
        _, envelope, _ = _hm(capsys, "pipelines", "-d", str(EXAMPLE))
        path = tmp_path / "envelope.json"
        path.write_text(envelope)

        assert (
            2,
            "",
            f"error: envelope {path} declares pipelines: hello, hello-broken — "
            "pass one with --slug\n",
        ) == _hm(capsys, "render", str(path))

    def test_missing_file_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A path that does not exist is exit 2, with a hint at what can be passed."""
        path = tmp_path / "nope.json"

        assert (
            2,
            "",
            f"error: cannot read IR file {str(path)!r}: No such file or directory\n"
            "hint: pass the path of a JSON file, a pipeline slug, or - for stdin\n",
        ) == _hm(capsys, "render", str(path))

    @pytest.mark.parametrize("name", sorted(MALFORMED))
    def test_malformed_file_is_exit_2_with_its_one_line(
        self, capsys: pytest.CaptureFixture[str], name: str
    ) -> None:
        """Each malformed document gives exit 2 and exactly its error line, no traceback."""
        path = MALFORMED_DIR / name

        assert (2, "", f"error: {path}: {MALFORMED[name]}\n") == _hm(capsys, "render", str(path))


_SUBPROCESS_CASES = [
    "bad-json.json",
    "wrong-version.json",
    "duplicate-keys-flat.json",
    "cycle-graph.json",
    "two-builds-in-parents.json",
    "envelope-bad-definition.json",
]


@pytest.mark.parametrize("name", _SUBPROCESS_CASES)
def test_malformed_file_through_the_real_command(name: str) -> None:
    """The installed entry point gives exit 2 and the one line, with no traceback."""
    path = MALFORMED_DIR / name

    done = subprocess.run(
        [sys.executable, "-m", "harmont_cli", "render", str(path)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert (2, "", f"error: {path}: {MALFORMED[name]}\n") == (
        done.returncode,
        done.stdout,
        done.stderr,
    )


def test_render_and_pipelines_through_the_real_command() -> None:
    """`hm render hello` in a subprocess prints the example's graph-form IR."""
    done = subprocess.run(
        [sys.executable, "-m", "harmont_cli", "render", "hello", "-d", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    document = json.loads(done.stdout)
    assert (0, "0") == (done.returncode, document["version"])
    assert ["prepare", "compile", "test", "package", "docs", "report"] == [
        node["step"]["key"] for node in document["graph"]["nodes"]
    ]
