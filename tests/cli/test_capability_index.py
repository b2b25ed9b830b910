"""`hm --help` from the capability index: no plugin imported, never stale, broken as ever."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from tests.run.rig import Build, Project

#: A plugin distribution's module: it notes each import of itself, then declares a verb.
_PLUGIN = """\
import os
with open(os.environ["HM_TEST_IMPORTS"], "a") as log:
    log.write("{name}\\n")

from harmont_sdk import ExitInfo, Subcommand, manifest, subcommand


class Plugin(Subcommand):
    manifest = manifest("{name}", "1.0.0", subcommand("{name}", "{about}"))

    def run(self, context, subcommand_input):
        return ExitInfo(exit_code=0)
"""


class Site:
    """A directory on PYTHONPATH holding plugin distributions, as pip lays them out."""

    def __init__(self, project: Project, tmp_path: Path) -> None:
        self.path = tmp_path / "site"
        self.path.mkdir()
        self.imports = tmp_path / "imports.log"
        self.imports.touch()
        project.env["PYTHONPATH"] = str(self.path)
        project.env["HM_TEST_IMPORTS"] = str(self.imports)

    def install(self, name: str, *, about: str = "", body: str | None = None) -> None:
        module = name.replace("-", "_")
        text = _PLUGIN.format(name=name, about=about or f"about {name}")
        (self.path / f"{module}.py").write_text(text if body is None else body)
        info = self.path / f"{module}-1.0.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
        (info / "entry_points.txt").write_text(f"[harmont.plugins]\n{name} = {module}:Plugin\n")

    def remove(self, name: str) -> None:
        module = name.replace("-", "_")
        shutil.rmtree(self.path / f"{module}-1.0.0.dist-info")
        (self.path / f"{module}.py").unlink()

    def imported(self) -> list[str]:
        """The plugins imported since the last call."""
        names = self.imports.read_text().split()
        self.imports.write_text("")
        return names


@pytest.fixture
def site(project: Project, tmp_path: Path) -> Site:
    return Site(project, tmp_path)


def _help(project: Project, *words: str) -> Build:
    build = project.hm(*words, "--help", raw=True)
    assert 0 == build.returncode, build.stderr
    return build


def test_a_second_help_imports_no_plugin_and_prints_the_same(project: Project, site: Site) -> None:
    """The first `hm --help` loads the plugins; the next ones answer from the index."""
    site.install("alpha")
    site.install("beta")

    first, first_imports = _help(project).stdout, site.imported()
    second, second_imports = _help(project).stdout, site.imported()

    assert (["alpha", "beta"], []) == (sorted(first_imports), second_imports)
    assert first == second
    assert "about alpha (plugin alpha)" in second


def test_a_plugin_verbs_help_comes_from_the_index_too(project: Project, site: Site) -> None:
    """`hm <verb> --help` of a plugin verb is cached like the root help."""
    site.install("alpha", about="checks the alphabet")

    first, first_imports = _help(project, "alpha").stdout, site.imported()
    second, second_imports = _help(project, "alpha").stdout, site.imported()

    assert (["alpha"], []) == (first_imports, second_imports)
    assert first == second
    assert "checks the alphabet" in second


def test_the_cached_root_help_names_every_plugin_verb_of_hm(project: Project, site: Site) -> None:
    """The index's `hm --help` says what `hm plugin` does, freezing and syncing sets too."""
    site.install("alpha")
    _help(project)
    site.imported()

    cached = _help(project).stdout
    plugin = next(line.strip() for line in cached.splitlines() if line.strip().startswith("plugin"))

    assert ([], "plugin     List, inspect, install, remove, check, freeze and sync plugins.") == (
        site.imported(),
        plugin,
    )


def test_installing_and_removing_a_distribution_rebuild_the_index(
    project: Project, site: Site
) -> None:
    """A distribution installed or removed after the index was built is seen at once."""
    site.install("alpha")
    _help(project)

    site.install("beta")
    with_beta = _help(project).stdout
    site.remove("beta")
    without_beta = _help(project).stdout

    assert ("about beta" in with_beta, "about beta" in without_beta) == (True, False)


def test_editing_a_plugin_module_rebuilds_the_index(project: Project, site: Site) -> None:
    """An edited plugin (an editable install) shows its new help, not the cached one."""
    site.install("alpha", about="old words")
    _help(project)
    module = site.path / "alpha.py"
    module.write_text(module.read_text().replace("old words", "new words"))
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert "new words" in _help(project).stdout


def test_a_broken_plugin_is_never_cached(project: Project, site: Site) -> None:
    """With a plugin that fails to import, every run loads the plugins and reports it."""
    site.install("alpha")
    site.install("broken", body="import os\nraise ImportError('no such thing')\n")

    helps = [_help(project).stdout for _ in range(2)]
    imports = site.imported()
    listed = project.hm("plugin", "list", raw=True)

    assert (["alpha", "alpha"], helps[0]) == (imports, helps[1])
    assert "about alpha" in helps[1]
    assert "broken" not in helps[1]
    assert "no such thing" in listed.stdout + listed.stderr


def test_a_conflict_fails_every_run(project: Project, site: Site) -> None:
    """Two plugins claiming one verb fail `hm --help` with exit 5 each time, index or not."""
    site.install("alpha")
    _help(project)
    site.install("clash", body=_PLUGIN.replace('subcommand("{name}"', 'subcommand("alpha"'))
    clash = site.path / "clash.py"
    clash.write_text(clash.read_text().format(name="clash", about="also alpha"))

    runs = [project.hm("--help", raw=True) for _ in range(2)]

    assert [5, 5] == [run.returncode for run in runs]
    assert runs[0].stderr == runs[1].stderr
    assert "alpha" in runs[1].stderr


def test_projects_share_the_index_unless_they_bring_native_plugins(
    project: Project, site: Site, tmp_path: Path
) -> None:
    """Another project reuses the index; one with its own native plugin directory does not."""
    site.install("alpha")
    plain, native = tmp_path / "plain", tmp_path / "native"
    plain.mkdir()
    (native / ".harmont" / "plugins").mkdir(parents=True)
    (native / ".harmont" / "plugins" / "junk.so").write_bytes(b"not a library")

    def help_in(directory: Path) -> list[str]:
        # The console script: `python -m` puts the working directory on sys.path, which
        # makes every directory an environment of its own.
        subprocess.run(
            [Path(sys.executable).with_name("hm"), "--help"],
            cwd=directory,
            env=project.env,
            capture_output=True,
            check=True,
            timeout=TIMEOUT_SECONDS,
        )
        return site.imported()

    assert (["alpha"], [], ["alpha"]) == (help_in(project.root), help_in(plain), help_in(native))


def test_a_cache_directory_that_cannot_be_made_fails_no_command(
    project: Project, site: Site, tmp_path: Path
) -> None:
    """With ``XDG_CACHE_HOME`` a regular file no index is written, and every command works."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    project.env["XDG_CACHE_HOME"] = str(blocker)
    site.install("alpha")
    project.pipeline(command("say", "echo hi"))

    runs = [project.hm(), _help(project), project.hm("plugin", "list", raw=True)]

    assert [0, 0, 0] == [run.returncode for run in runs], [run.stderr for run in runs]
    assert (["hi"], "") == (runs[0].logs("say"), blocker.read_text())
    assert "about alpha" in runs[1].stdout


#: A plugin whose import installs another distribution beside it, as a `pip install`
#: finishing while `hm` loads its plugins would.
_INSTALLS_LATE = """\
from pathlib import Path

site = Path(__file__).parent
info = site / "late-1.0.0.dist-info"
if not info.exists():
    (site / "late.py").write_text({late!r})
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\\nName: late\\nVersion: 1.0.0\\n")
    (info / "entry_points.txt").write_text("[harmont.plugins]\\nlate = late:Plugin\\n")
"""


def test_a_distribution_installed_while_plugins_load_is_seen_by_the_next_help(
    project: Project, site: Site
) -> None:
    """The help is stored under what was installed before the plugins loaded, not after."""
    late = _PLUGIN.format(name="late", about="came late")
    alpha = _PLUGIN.format(name="alpha", about="about alpha")
    site.install("alpha", body=_INSTALLS_LATE.format(late=late) + alpha)

    first, second = _help(project).stdout, _help(project).stdout

    assert ("came late" in first, "came late" in second) == (False, True)
