"""
Secrets end to end: `--secret` reaches steps as a variable, and no output form, hook
payload, result, error, cache key or stored snapshot ever holds its value.
"""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.parse
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from tests.run.rig import command

if TYPE_CHECKING:
    from tests.run.rig import Build, Project

#: Long enough for its encoded forms to be masked; every test checks all three forms.
SECRET: Final = "s3cr3t/Value+42"
FORMS: Final = (
    SECRET,
    base64.b64encode(SECRET.encode()).decode().rstrip("="),
    urllib.parse.quote(SECRET, safe=""),
)

#: Prints the value whole, cut across two reads (a pause between its halves), base64- and
#: URL-encoded, and on stderr; then fails, so human output replays its log.
_LEAKY = (
    'echo "plain $TOKEN"; '
    'printf \'split %s\' "$(echo "$TOKEN" | cut -c1-6)"; sleep 0.3; '
    'printf \'%s\\n\' "$(echo "$TOKEN" | cut -c7-)"; '
    'printf %s "$TOKEN" | base64; '
    "echo 's3cr3t%2FValue%2B42'; "
    'echo "to stderr $TOKEN" >&2; exit 3'
)


def _shown(build: Build) -> str:
    return build.stdout + build.stderr


def _assert_hidden(text: str) -> None:
    assert [] == [form for form in FORMS if form in text]


class TestOutputForms:
    @pytest.mark.parametrize(
        "form", [("--format", "json"), ("--format", "human", "--logs"), ("--format", "human")]
    )
    def test_no_output_form_shows_a_value(self, project: Project, form: tuple[str, ...]) -> None:
        """JSON events, --logs and the human replay show *** where the step printed it."""
        project.pipeline(command("leak", _LEAKY))
        project.env["TOKEN"] = SECRET

        build = project.hm(*form, "--secret", "TOKEN")

        assert 1 == build.returncode
        _assert_hidden(_shown(build))
        assert "plain ***" in _shown(build)
        assert "split ***" in _shown(build)
        assert "to stderr ***" in _shown(build)

    def test_the_step_gets_the_value(self, project: Project) -> None:
        """Masking is on output only: the step's variable holds the real value."""
        project.pipeline(command("check", f'test "$TOKEN" = "{SECRET}" && echo same'))

        build = project.hm("--secret", f"TOKEN={SECRET}")

        assert (0, ["same"]) == (build.returncode, build.logs("check"))

    def test_a_missing_secret_is_a_usage_error(self, project: Project) -> None:
        """--secret NAME without NAME in hm's environment is exit 2, before anything runs."""
        project.pipeline(command("check", "echo ran"))
        project.env.pop("TOKEN", None)

        build = project.hm("--secret", "TOKEN")

        assert (2, "", "error: --secret TOKEN: no variable TOKEN in hm's environment") == (
            build.returncode,
            build.stdout,
            build.stderr.splitlines()[0],
        )


_STEP_LOG_RECORDER = '''
"""Writes every step_log line it is given, one per line, to $HM_RECORD."""
import os

from harmont import hookimpl
from harmont.protocol import (
    API_VERSION, HookContinue, HookEventKind, HookPhase, LifecycleHookSpec, PluginManifest,
)


@hookimpl
def hm_plugin_manifest():
    return PluginManifest(
        api_version=API_VERSION,
        name="logrecorder",
        version="0.1.0",
        description="records step_log payloads",
        capabilities=(
            LifecycleHookSpec(
                events=(HookEventKind.STEP_LOG,), phase=HookPhase.AFTER, timeout_ms=5000
            ),
        ),
    )


@hookimpl
def hm_on_hook_event(context, hook_event):
    with open(os.environ["HM_RECORD"], "a") as record:
        record.write(hook_event.event.line + "\\n")
    return HookContinue()
'''


def test_step_log_hooks_never_see_a_value(project: Project, tmp_path: Path) -> None:
    """A plugin subscribed to step_log receives the masked lines, never a value."""
    site = tmp_path / "site"
    info = site / "hm_logrecorder-0.1.0.dist-info"
    info.mkdir(parents=True)
    (site / "hm_logrecorder.py").write_text(_STEP_LOG_RECORDER)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hm-logrecorder\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[harmont.plugins]\nlogrecorder = hm_logrecorder\n")
    record = tmp_path / "record.txt"
    project.env.update(PYTHONPATH=str(site), HM_RECORD=str(record), TOKEN=SECRET)
    project.pipeline(command("leak", _LEAKY))

    build = project.hm("--secret", "TOKEN")

    recorded = record.read_text()
    assert 1 == build.returncode
    assert "plain ***" in recorded.splitlines()
    _assert_hidden(recorded)


def test_cached_snapshots_hold_no_value(project: Project) -> None:
    """A cached step that used a secret stores no trace of it: files, image config, history."""
    key = uuid.uuid4().hex * 2
    project.pipeline(
        command(
            "build",
            'echo "using $TOKEN"; echo built > out.txt',
            cache={"policy": "forever", "key": key},
        )
    )

    build = project.hm("--secret", f"TOKEN={SECRET}")

    assert 0 == build.returncode, build.stderr
    if project.runner != "docker":  # local trees and kubernetes tars live in the cache dir
        stored = Path(project.env["XDG_CACHE_HOME"]) / "harmont"
        blobs = b"".join(p.read_bytes() for p in stored.rglob("*") if p.is_file())
        names = "".join(str(p) for p in stored.rglob("*"))
        assert b"built" in blobs  # the snapshot was stored where it is looked for
        assert [] == [f for f in FORMS if f.encode() in blobs or f in names]
        return
    tag = f"harmont-local/build:{key[:16]}"
    try:
        seen = [
            subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            for argv in (
                ["docker", "image", "inspect", tag],
                ["docker", "history", "--no-trunc", tag],
            )
        ]
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)
    _assert_hidden("".join(seen))
    config: dict[str, Any] = json.loads(seen[0])[0]["Config"]
    assert [] == [v for v in config.get("Env") or [] if v.startswith("TOKEN=")]
