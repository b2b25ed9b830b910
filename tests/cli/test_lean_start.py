"""
What `hm` imports to start: `--version` and a cached `--help` skip typer, typing and plugins;
`hm run --runner local --format json` imports only what such a build uses; the `hm` process
collects no garbage while it starts, and freezes what it loaded.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from typing import TYPE_CHECKING

from tests.cli.test_capability_index import _PLUGIN, Site
from tests.run.rig import TIMEOUT_SECONDS, command

if TYPE_CHECKING:
    from pathlib import Path

    from tests.run.rig import Project

#: Runs `hm` in-process with the given arguments, then lists the modules it imported.
_PROBE = """
import sys
from harmont_cli.__main__ import main
code = main(sys.argv[1:])
sys.stdout.write("\\n" + repr([code, sorted(sys.modules)]) + "\\n")
"""

#: Heavy or plugin-loading modules a lean start never needs.
_HEAVY = ("typer", "typing", "enum", "attr", "rich", "docker", "harmont._plugins._manager")


def _modules(project: Project, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    code, modules = ast.literal_eval(done.stdout.splitlines()[-1])
    assert 0 == code, done.stderr
    return list(modules)


def _heavy(modules: list[str], *, allowed: tuple[str, ...] = ()) -> list[str]:
    heavy = [m for m in modules if m in _HEAVY or m.startswith(("typer.", "attr.", "rich."))]
    return [m for m in heavy if m not in allowed]


def test_version_imports_nothing_heavy(project: Project) -> None:
    """`hm --version` imports neither typer nor typing, enum, attrs or the registry."""
    assert [] == _heavy(_modules(project, "--version"))


def test_a_cached_help_imports_nothing_heavy(project: Project, tmp_path: Path) -> None:
    """Once the index holds it, `hm --help` imports no plugin, no typer, no registry."""
    # json's decoder imports re, hence enum (as the `hm` console script's own `import re`).
    site = Site(project, tmp_path)
    site.install("alpha")
    _modules(project, "--help")
    cached = _modules(project, "--help")

    assert ([], ["alpha"]) == (_heavy(cached, allowed=("enum",)), site.imported())


#: What `hm run --runner local --format json` never uses: the terminal renderer, the engine
#: and cluster clients and their sockets and random tokens, typer's rich help, the other
#: built-in commands and plugin verbs (and their protocol types), the JSON decoder (events
#: are only encoded), the tracer without --trace, the gitignore matcher in a tree without
#: ignore files, and (once the capability index holds the entry points) the distribution
#: metadata parser.
_NOT_FOR_A_LOCAL_JSON_BUILD = (
    "rich",
    "harmont._renderers._view",
    "harmont._renderers._human",
    "harmont._orchestrator._trace",
    "harmont._orchestrator._gitignore",
    "harmont.protocol._subcommand",
    "harmont_cli._plugin_verbs",
    "docker",
    "kubernetes",
    "typer.rich_utils",
    "importlib.metadata",
    "email",
    "zipfile",
    "csv",
    "cattrs",
    "socket",
    "secrets",
    "harmont_cli._commands.cache",
    "harmont_cli._commands.init",
    "harmont_cli._commands.plugin",
    "harmont_cli._commands.render",
    "harmont_cli._commands.trace",
    "harmont_cli._commands.version",
)


def test_a_local_json_build_imports_nothing_it_does_not_use(project: Project) -> None:
    """From the second run on, `hm run --runner local --format json` skips what it never uses."""
    project.pipeline(command("hello", "echo hi"))
    _modules(project, *project.argv()[3:])

    modules = _modules(project, *project.argv()[3:])

    assert [] == [m for m in modules if m.startswith(_NOT_FOR_A_LOCAL_JSON_BUILD)]


def test_the_entry_points_kept_for_runs_follow_every_install(
    project: Project, tmp_path: Path
) -> None:
    """Plugins installed, edited or broken after a run are seen by the next one as ever."""
    site = Site(project, tmp_path)
    site.install("alpha")
    listed = [project.hm("plugin", "list", raw=True).stdout]
    site.install("beta")
    listed.append(project.hm("plugin", "list", raw=True).stdout)
    points = site.path / "beta-1.0.0.dist-info" / "entry_points.txt"
    points.write_text(points.read_text().replace("beta = ", "gamma = "))
    listed.append(project.hm("plugin", "list", raw=True).stdout)
    site.install("broken", body="raise ImportError('no such thing')\n")
    broken = [project.hm("plugin", "list", raw=True) for _ in range(2)]

    names = [{line.split()[0] for line in out.splitlines()[1:]} for out in listed]
    assert [(n >= {"alpha"}, "beta" in n, "gamma" in n) for n in names] == [
        (True, False, False),
        (True, True, False),
        (True, False, True),
    ]
    assert [True, True] == ["no such thing" in b.stdout + b.stderr for b in broken]


def test_the_entry_points_kept_for_runs_follow_a_replaced_zip_archive(
    project: Project, tmp_path: Path
) -> None:
    """Distributions inside a zip on the import path are watched through the archive."""
    archive = tmp_path / "plugins.zip"
    project.env["PYTHONPATH"] = str(archive)
    project.env["HM_TEST_IMPORTS"] = os.devnull

    def install(name: str) -> list[str]:
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr(f"{name}.py", _PLUGIN.format(name=name, about=f"about {name}"))
            info = f"{name}-1.0.0.dist-info"
            zipped.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\n")
            zipped.writestr(
                f"{info}/entry_points.txt", f"[harmont.plugins]\n{name} = {name}:Plugin\n"
            )
        listed = project.hm("plugin", "list", raw=True).stdout
        return [line.split()[0] for line in listed.splitlines()[1:] if "verb:" in line]

    assert [["zalpha"], ["zbeta"]] == [install("zalpha"), install("zbeta")]


#: Runs `hm` with the given arguments through the console script's entry point (or, with
#: HM_PROBE_MAIN set, through `main` as a program embedding it does), and reports whether
#: the collector was on while the command tree was built, and whether anything was frozen
#: when `main` returned and when the process exits.
_GC_PROBE = """
import atexit, gc, os, sys
import harmont_cli._app as app
import harmont_cli.__main__ as cli
seen = []
build_app = app.build_app
def probed(*args, **kwargs):
    seen.append(gc.isenabled())
    return build_app(*args, **kwargs)
app.build_app = probed
main = cli.main
def probed_main():
    code = main(sys.argv[1:])
    seen.append(gc.get_freeze_count() > 0)
    return code
cli.main = probed_main
atexit.register(lambda: print(repr([*seen, gc.get_freeze_count() > 0, gc.isenabled()])))
if os.environ.get("HM_PROBE_MAIN"):
    sys.exit(probed_main())
cli.console_main()
"""


def _collector(project: Project, *args: str, embedded: bool = False) -> list[bool]:
    env = {**project.env, **({"HM_PROBE_MAIN": "1"} if embedded else {})}
    done = subprocess.run(
        [sys.executable, "-c", _GC_PROBE, *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=True,
    )
    result: list[bool] = ast.literal_eval(done.stdout.splitlines()[-1])
    return result


def test_hm_builds_its_command_tree_uncollected_and_freezes_it(project: Project) -> None:
    """
    The `hm` process collects no garbage while it starts and freezes what start-up loaded
    (so no collection walks it again, the exit's included); its collector is on for the
    command itself.
    """
    project.pipeline(command("hello", "echo hi"))

    during_build_app, frozen_after_main, frozen_at_exit, enabled = _collector(
        project, *project.argv()[3:]
    )

    assert (False, True, True, True) == (
        during_build_app,
        frozen_after_main,
        frozen_at_exit,
        enabled,
    )


def test_a_program_calling_main_keeps_its_collector(project: Project) -> None:
    """`main` called from a program (a test, an embedder) neither pauses nor freezes."""
    project.pipeline(command("hello", "echo hi"))

    assert [True, False, False, True] == _collector(project, *project.argv()[3:], embedded=True)
