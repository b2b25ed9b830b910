"""Fixtures for the plugin tests: real (fake) distributions on a temporary sys.path."""

from __future__ import annotations

import base64
import hashlib
import sysconfig
import textwrap
import uuid
import venv
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import pytest

from harmont import Registry

REPO: Final = Path(__file__).resolve().parents[2]

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from harmont import Host


class MakeDist(Protocol):
    def __call__(
        self, name: str, code: str, *, attr: str | None = "plugin", version: str = "1.0.0"
    ) -> str: ...


def write_dist(
    site: Path, name: str, code: str, *, attr: str | None = "plugin", version: str = "1.0.0"
) -> str:
    """
    Write an installed distribution ``name`` whose ``harmont.plugins`` entry point ``name``
    points at ``<module>:<attr>`` (or the module itself when ``attr`` is None) in a module
    holding ``code``; return the module name.

    Module names are unique per call, so tests never see each other's imports.
    """
    module = f"hmfake_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    (site / f"{module}.py").write_text(textwrap.dedent(code))
    target = module if attr is None else f"{module}:{attr}"
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[harmont.plugins]\n{name} = {target}\n")
    return module


@pytest.fixture
def registry(hm_host: Host) -> Iterator[Registry]:
    """An empty registry (not even the built-ins) on a real host in a temporary home."""
    with Registry(host=hm_host) as empty:
        yield empty


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path where fake distributions are installed."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def make_dist(site_dir: Path) -> MakeDist:
    """Install a fake distribution with one ``harmont.plugins`` entry point."""

    def make(name: str, code: str, *, attr: str | None = "plugin", version: str = "1.0.0") -> str:
        return write_dist(site_dir, name, code, attr=attr, version=version)

    return make


#: Source of a valid third-party plugin module; format with name, runner and verb.
PLUGIN_SOURCE = """
    from harmont_sdk import ExitInfo, Subcommand, StepExecutor, StepResult
    from harmont_sdk import executor, manifest, subcommand


    class Plugin(StepExecutor, Subcommand):
        manifest = manifest(
            "{name}", "1.2.3", executor("{runner}"), subcommand("{verb}", "a test verb")
        )

        def execute_step(self, context, executor_input):
            return StepResult(exit_code=0)

        def run(self, context, subcommand_input):
            return ExitInfo(exit_code=0)


    plugin = Plugin
"""


def build_wheel(
    directory: Path,
    name: str,
    *,
    version: str = "1.0.0",
    requires: Sequence[str] = (),
    plugin: bool = True,
) -> Path:
    """
    Build a minimal wheel by hand: one module, and (``plugin``) one ``harmont.plugins``
    entry point; ``requires`` become its ``Requires-Dist`` lines.
    """
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    files = {
        f"{module}.py": PLUGIN_SOURCE.format(name=name, runner=name, verb=name).encode()
        if plugin
        else b"",
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    if plugin:
        files[f"{info}/entry_points.txt"] = (
            f"[harmont.plugins]\n{name} = {module}:plugin\n".encode()
        )
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    record.append(f"{info}/RECORD,,")
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def make_light_venv(target: Path) -> Path:
    """
    Create a venv at ``target`` that sees this checkout and its dependencies through a
    .pth file; return it.

    pip installs into the venv's own site-packages, so installs and removals are real
    while the outer environment is untouched, and nothing is fetched from an index.
    """
    venv.create(target, with_pip=False)
    purelib = Path(
        sysconfig.get_path("purelib", vars={"base": str(target), "platbase": str(target)})
    )
    (purelib / "outer.pth").write_text(f"{REPO}\n{sysconfig.get_path('purelib')}\n")
    return target


@pytest.fixture
def light_venv(tmp_path: Path) -> Path:
    """A venv of its own (:func:`make_light_venv`), seeing this checkout."""
    return make_light_venv(tmp_path / "venv")
