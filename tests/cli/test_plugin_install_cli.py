"""`hm plugin install` as a user meets it: one progress line, clean refusals, no leftovers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.conftest import make_light_venv

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def light_venv(tmp_path: Path) -> Path:
    """A venv that sees this checkout through a .pth file: pip installs into it alone."""
    return make_light_venv(tmp_path / "venv")


def _hm(python: Path | str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "PYTHON"))}
    env["HOME"] = str(cwd)
    return subprocess.run(
        [str(python), "-m", "harmont_cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _project(root: Path, requires: str = "setuptools>=61") -> Path:
    """A Python project directory that declares no harmont plugin."""
    (root / "notplugin").mkdir(parents=True)
    (root / "notplugin" / "__init__.py").write_text("X = 1\n")
    (root / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "notplugin"\nversion = "0.1.0"\n'
    )
    return root


@pytest.mark.slow
class TestPythonSources:
    def test_a_directory_without_a_plugin_is_uninstalled_again(
        self, light_venv: Path, tmp_path: Path
    ) -> None:
        """No harmont entry point: exit 2, the distribution removed, one progress line."""
        python = light_venv / "bin" / "python"
        source = _project(tmp_path / "notplugin")

        done = _hm(python, "plugin", "install", str(source), cwd=tmp_path)
        listed = subprocess.run(
            [str(python), "-m", "pip", "list"], capture_output=True, text=True, check=True
        )

        assert 2 == done.returncode
        assert [
            f"installing {source} with pip...",
            f"error: plugin source '{source}': 'notplugin' declares no harmont plugin; "
            "uninstalled it again",
        ] == done.stderr.splitlines()[:2]
        assert done.stderr.splitlines()[2].startswith("hint: a plugin declares an entry point")
        assert "notplugin" not in listed.stdout

    def test_pip_output_is_shown_only_when_pip_fails(self, tmp_path: Path) -> None:
        """A failed pip run shows what pip said, then hm's error line, exit 5."""
        source = _project(tmp_path / "broken", requires="hm-no-such-build-backend-xyz==9")

        done = _hm(sys.executable, "plugin", "install", str(source), cwd=tmp_path)
        lines = done.stderr.splitlines()

        assert 5 == done.returncode
        assert f"installing {source} with pip..." == lines[0]
        assert any("hm-no-such-build-backend-xyz" in line for line in lines[1:-1])
        assert f"error: plugin source '{source}': pip install failed (exit status 1)" == lines[-1]


class TestNativeSources:
    @pytest.mark.parametrize(
        ("make", "reason"),
        [
            (lambda path: path.write_bytes(b"not a library at all"), "it is not an ELF file"),
            (
                lambda path: path.write_bytes(Path(sys.executable).resolve().read_bytes()[:4096]),
                "it is truncated (4096 bytes; its headers need ",
            ),
            (
                lambda path: shutil.copyfile(shutil.which("cc") or "/bin/ls", path),
                "executable, not a library",
            ),
        ],
        ids=["garbage", "truncated", "executable"],
    )
    def test_a_file_that_is_no_shared_library_says_why(
        self, tmp_path: Path, make: object, reason: str
    ) -> None:
        """Not "file too short (isolated)": what is wrong with the file, in its terms."""
        library = tmp_path / "libthing.so"
        make(library)  # type: ignore[operator]

        done = _hm(sys.executable, "plugin", "install", str(library), cwd=tmp_path)

        assert 5 == done.returncode
        first = done.stderr.splitlines()[0]
        assert first.startswith(f"error: native plugin '{library}': not a valid shared library: ")
        assert reason in first
        assert "isolated" not in done.stderr
        assert not (tmp_path / ".harmont" / "plugins").exists()
