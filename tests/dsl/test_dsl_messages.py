"""
What a pipeline author reads when a file is wrong, through `hm render` as a subprocess:
return values that are not steps, empty pipelines, options 0.0.9 files pass that we do not
take, and what ``dir(harmont)`` offers an editor.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

import harmont as hm
from tests.run.rig import TIMEOUT_SECONDS, hm_environment

if TYPE_CHECKING:
    from pathlib import Path


def _render(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    """`hm render` of a project whose one pipeline file is ``source``."""
    (tmp_path / ".harmont").mkdir()
    (tmp_path / ".harmont" / "pipeline.py").write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "harmont_cli", "render", "-d", str(tmp_path)],
        env=hm_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


def _decorated(returned: str, options: str = "") -> str:
    return (
        "from datetime import timedelta\n\nimport harmont as hm\n\n\n"
        f'@hm.pipeline("ci"{options})\ndef ci():\n    return {returned}\n'
    )


class TestReturnValues:
    @pytest.mark.parametrize(
        ("returned", "named"),
        [
            ("[1, 2]", "returned a list holding int 1"),
            ('(hm.sh("make"), "make test")', "returned a tuple holding str 'make test'"),
            ("None", "returned NoneType None"),
            ('"make"', "returned str 'make'"),
        ],
    )
    def test_names_what_came_back_and_what_to_return(
        self, tmp_path: Path, returned: str, named: str
    ) -> None:
        """A non-step return names the value and says to return steps, in the decorator form."""
        done = _render(tmp_path, _decorated(returned))

        assert (2, 1, True, True, False) == (
            done.returncode,
            len(done.stderr.splitlines()),
            f"pipeline 'ci' {named}: return a step, a list of steps" in done.stderr,
            "return [build, test]" in done.stderr,
            "hm.pipeline([" in done.stderr,
        )

    @pytest.mark.parametrize(
        ("returned", "named"),
        [
            ("[]", "returned an empty list"),
            ("()", "returned an empty tuple"),
            ("hm.wait()", "returned only wait() barriers"),
            ("[hm.wait(), hm.wait(continue_on_failure=True)]", "returned only wait() barriers"),
        ],
    )
    def test_an_empty_pipeline_is_an_error(self, tmp_path: Path, returned: str, named: str) -> None:
        """No command step to run is exit 2 with a decorator-form hint (0.0.9 renders waits)."""
        done = _render(tmp_path, _decorated(returned))

        assert (2, True, False) == (
            done.returncode,
            f"pipeline 'ci' {named}, so it has no step to run: return the steps" in done.stderr,
            "hm.pipeline([" in done.stderr,
        )

    def test_a_toolchain_project_is_a_return_value(self, tmp_path: Path) -> None:
        """Returning hm.rust.project() renders its test, clippy and fmt leaves."""
        done = _render(tmp_path, _decorated("hm.rust.project()"))

        assert (0, True, True, True) == (
            done.returncode,
            '"label": ":rust: test"' in done.stdout,
            '"label": ":rust: clippy"' in done.stdout,
            '"label": ":rust: fmt"' in done.stdout,
        )

    def test_factory_of_only_waits_is_an_error(self) -> None:
        """hm.pipeline([hm.wait()]) has nothing to run: a ValueError in the factory's words."""
        with pytest.raises(ValueError, match=r"hm\.pipeline\(\[\.\.\.\]\) got only wait\(\)"):
            hm.pipeline([hm.wait()])


class TestOptions:
    def test_default_image_names_hm_pipeline_and_the_fix(self, tmp_path: Path) -> None:
        """default_image= is refused naming hm.pipeline, the image= and BaseImage ways."""
        done = _render(tmp_path, _decorated('hm.sh("make")', ', default_image="rust:1.80"'))

        assert (2, True, True, True, False) == (
            done.returncode,
            "hm.pipeline takes no default_image=" in done.stderr,
            "hm.sh('make', image='rust:1.80')" in done.stderr,
            "hm.BaseImage('rust:1.80')" in done.stderr,
            "_register" in done.stderr,
        )

    def test_unknown_option_names_hm_pipeline(self, tmp_path: Path) -> None:
        """Any other unknown option names hm.pipeline and lists the options it takes."""
        done = _render(tmp_path, _decorated('hm.sh("make")', ", labels=['x']"))

        assert (2, True) == (
            done.returncode,
            "hm.pipeline got an unknown option labels=: it takes slug=, name=" in done.stderr,
        )

    @pytest.mark.parametrize(
        ("duration", "written"),
        [('"1h"', "timedelta(hours=1)"), ("90", "timedelta(seconds=90)")],
    )
    def test_ttl_takes_a_timedelta(self, tmp_path: Path, duration: str, written: str) -> None:
        """hm.ttl("1h") is refused as in 0.0.9, and the message spells the timedelta to write."""
        (tmp_path / "refused").mkdir()
        (tmp_path / "written").mkdir()

        refused = _render(
            tmp_path / "refused", _decorated(f'hm.sh("make", cache=hm.ttl({duration}))')
        )
        suggested = _render(
            tmp_path / "written", _decorated(f'hm.sh("make", cache=hm.ttl({written}))')
        )

        assert (2, True, True, 0) == (
            refused.returncode,
            "hm.ttl takes a datetime.timedelta" in refused.stderr,
            f"write hm.ttl({written})" in refused.stderr,
            suggested.returncode,
        )


class TestDir:
    def test_dir_lists_the_public_surface_only(self) -> None:
        """dir(harmont) offers the DSL and toolchain helpers, not the module's own imports."""
        code = "import harmont; print(' '.join(dir(harmont)))"
        names = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()

        assert (set(), set(), sorted([*hm.__all__, "__version__"])) == (
            {"sh", "pipeline", "wait", "rust", "js", "py", "apt_base", "zig"} - set(names),
            {"TYPE_CHECKING", "Final", "annotations", "lazy_getattr"} & set(names),
            names,
        )
