"""Fixtures for the plugin tests: real (fake) distributions on a temporary sys.path."""

from __future__ import annotations

import textwrap
import uuid
from typing import TYPE_CHECKING, Protocol

import pytest

from harmont import Registry

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

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
