"""The capability index watches native libraries: a touched one is loaded again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tests.cli.test_capability_index import Site
from tests.run.rig import Project, hm_environment

if TYPE_CHECKING:
    from tests.native_support import Built


def test_touching_a_native_library_rebuilds_the_index(native: Built, tmp_path: Path) -> None:
    """A native library whose mtime changed is loaded again to rebuild the index."""
    (tmp_path / "project").mkdir()
    (tmp_path / "home").mkdir()
    project = Project(
        root=tmp_path / "project", runner="local", env=hm_environment(tmp_path / "home")
    )
    site = Site(project, tmp_path)
    site.install("alpha")
    library = native.install("noop-executor", Path(project.env["HOME"]) / ".harmont" / "plugins")
    index = Path(project.env["XDG_CACHE_HOME"]) / "harmont"

    def help_written() -> int:
        build = project.hm("--help", raw=True)
        assert 0 == build.returncode, build.stderr
        (found,) = index.glob("capabilities-*.json")
        return found.stat().st_mtime_ns

    built, reused = help_written(), help_written()
    stat = library.stat()
    os.utime(library, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    rebuilt = help_written()

    assert (built, True) == (reused, rebuilt != built)
    assert ["alpha", "alpha"] == site.imported()  # built, then rebuilt after the touch
