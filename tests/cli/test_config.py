"""Settings from config files and HM_* variables, through `hm run` and `hm config show`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer

# typer 0.27 vendors click under a private name, as harmont_cli._app imports it.
from typer._click.core import Context
from typer.core import TyperGroup

from harmont._plugins._native import isolation_for
from harmont_cli import _commands
from harmont_cli._commands.config import ConfiguredCommand
from tests.run.rig import command

if TYPE_CHECKING:
    from tests.run.rig import Build, Project


def _user_config(project: Project) -> Path:
    path = project.root.parent / "home" / ".config" / "hm" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _repo_config(project: Project, text: str) -> Path:
    """Write the project's config file; `hm` runs in the project, so it names it relatively."""
    (project.root / ".harmont").mkdir(exist_ok=True)
    (project.root / ".harmont" / "config.toml").write_text(text)
    return Path(".harmont", "config.toml")


def _run(project: Project, *args: str) -> Build:
    """`hm run pipeline.json ARGS`, with nothing but ARGS on the command line."""
    return project.hm("run", "pipeline.json", *args, raw=True)


def _show(project: Project) -> dict[str, str]:
    """`hm config show` as {key: "value  # origin"}."""
    done = project.hm("config", "show", raw=True)
    assert 0 == done.returncode, done.stderr
    rows = (re.fullmatch(r"(\S+) = (.*?)\s+# (.*)", line) for line in done.stdout.splitlines())
    return {m[1]: f"{m[2]} # {m[3]}" for m in rows if m is not None}


class TestPrecedence:
    def test_each_layer_overrides_the_one_before(self, project: Project) -> None:
        """User config < repo config < HM_RUNNER < --runner: the runner asked for shows it."""
        project.pipeline(command("say", "echo hi"))
        _user_config(project).write_text('[run]\nrunner = "from-user"\n')
        _repo_config(project, '[run]\nrunner = "from-repo"\n')
        project.env["HM_RUNNER"] = "from-env"

        def runner_asked() -> str:
            done = _run(project, *cli)
            assert 7 == done.returncode, done.stderr
            return re.findall(r"'(from-\w+)'", done.stderr)[0]

        seen = []
        cli: tuple[str, ...] = ("--runner", "from-cli")
        seen.append(runner_asked())
        cli = ()
        seen.append(runner_asked())
        del project.env["HM_RUNNER"]
        seen.append(runner_asked())
        (project.root / ".harmont" / "config.toml").unlink()
        seen.append(runner_asked())

        assert ["from-cli", "from-env", "from-repo", "from-user"] == seen

    def test_a_configured_option_changes_the_build(self, project: Project) -> None:
        """`format = "json"` and `runner = "local"` in the repo config make `hm run` emit JSON."""
        project.pipeline(command("say", "echo hi"))
        _repo_config(project, '[run]\nrunner = "local"\nformat = "json"\n')

        done = _run(project)

        assert 0 == done.returncode, done.stderr
        assert "build_end" == json.loads(done.stdout.splitlines()[-1])["kind"]

    def test_the_command_line_overrides_a_configured_flag_value(self, project: Project) -> None:
        """--format human on the command line wins over `format = "json"`: no JSON on stdout."""
        project.pipeline(command("say", "echo hi"))
        _repo_config(project, '[run]\nrunner = "local"\nformat = "json"\n')

        done = _run(project, "--format", "human")

        assert (0, "") == (done.returncode, done.stdout)

    def test_a_flag_set_in_config_is_turned_off_by_its_no_switch(self, project: Project) -> None:
        """`logs = true` in the repo config streams the step's lines; `--no-logs` undoes it."""
        project.pipeline(command("say", "echo hi-from-say"))
        _repo_config(project, '[run]\nrunner = "local"\nlogs = true\nno_color = true\n')

        configured = _run(project)
        switched_off = _run(project, "--no-logs")

        assert (0, 0) == (configured.returncode, switched_off.returncode), switched_off.stderr
        assert "[say] hi-from-say" in configured.stdout + configured.stderr
        assert "hi-from-say" not in switched_off.stdout + switched_off.stderr

    def test_keep_going_set_in_config_is_turned_off_on_the_command_line(
        self, project: Project
    ) -> None:
        """`keep_going = true` lets the slow chain finish; `--no-keep-going` stops it."""
        project.pipeline(
            command("fail", "exit 3"),
            command("slow", "sleep 1; echo finished"),
        )
        _repo_config(project, '[run]\nrunner = "local"\nformat = "json"\nkeep_going = true\n')

        configured = _run(project)
        switched_off = _run(project, "--no-keep-going")

        assert ["finished"] == configured.logs("slow")
        assert [] == switched_off.logs("slow")

    def test_a_repeatable_option_takes_a_list_or_a_spaced_variable(self, project: Project) -> None:
        """`env = [...]` in a file, `HM_ENV="A=1 B=2"` over it: the steps see the variable's."""
        project.pipeline(command("say", 'echo "$A $B"'))
        _repo_config(project, '[run]\nrunner = "local"\nformat = "json"\nenv = ["A=file"]\n')
        from_file = _run(project)
        project.env["HM_ENV"] = "A=1 B=2"

        from_variable = _run(project)

        assert (["file "], ["1 2"]) == (from_file.logs("say"), from_variable.logs("say"))

    def test_hm_dir_names_the_project_whose_config_is_read(
        self, project: Project, tmp_path: Path
    ) -> None:
        """`hm run -d DIR` reads DIR/.harmont/config.toml, not the current directory's."""
        project.pipeline(command("say", "echo hi"))
        _repo_config(project, '[run]\nrunner = "from-repo"\n')
        elsewhere = tmp_path / "elsewhere"
        (elsewhere / ".harmont").mkdir(parents=True)
        (elsewhere / ".harmont" / "config.toml").write_text('[run]\nrunner = "local"\n')

        done = _run(project, "-d", str(elsewhere))

        assert 0 == done.returncode, done.stderr


class TestShow:
    def test_show_says_where_each_value_came_from(self, project: Project) -> None:
        """File and line, variable, or default, for each `hm run` option."""
        user = _user_config(project)
        user.write_text("# mine\n[run]\nparallelism = 3\n")
        repo = _repo_config(project, '[run]\nkeep_going = false\n\nrunner = "local"\n')
        project.env["HM_KEEP_GOING"] = "true"

        shown = _show(project)

        assert {
            "run.parallelism": f"3 # {user}:3",
            "run.runner": f'"local" # {repo}:4',
            "run.keep_going": "true # HM_KEEP_GOING",
            "run.logs": "false # default",
        } == {k: shown[k] for k in ("run.parallelism", "run.runner", "run.keep_going", "run.logs")}

    def test_every_run_option_is_a_setting(self, project: Project) -> None:
        """The keys are `hm run`'s long options (but -d, --help and a flag's --no- switch)."""
        help_text = project.hm("run", "--help", raw=True).stdout
        help_text = re.sub(r" / --[a-z-]+", "", help_text)
        options = set(re.findall(r"--([a-z][a-z-]*)", help_text)) - {"dir", "help"}

        shown = {k.removeprefix("run.") for k in _show(project) if k.startswith("run.")}

        assert {o.replace("-", "_") for o in options} == shown

    def test_show_lists_the_keys_of_every_configured_command(self, project: Project) -> None:
        """
        `hm config show` registers only the verbs it needs; every command that reads the
        settings must be among them, or its keys silently drop out of the listing.
        """
        app = typer.Typer()
        _commands.register(app)
        group = typer.main.get_command(app)
        assert isinstance(group, TyperGroup)  # many commands make a group
        ctx = Context(group)
        found = (group.get_command(ctx, name) for name in group.list_commands(ctx))
        configured = {c.name for c in found if isinstance(c, ConfiguredCommand)}

        shown = {key.split(".")[0] for key in _show(project)}

        assert ({"run"}, set()) == ({"run"} & configured, configured - shown)

    def test_a_hm_config_dir_is_read_when_there_is_no_harmont_one(self, project: Project) -> None:
        """`.hm/config.toml` is the project's config when `.harmont/config.toml` is absent."""
        (project.root / ".hm").mkdir()
        (project.root / ".hm" / "config.toml").write_text("[run]\nparallelism = 2\n")

        shown = _show(project)

        assert "2 # .hm/config.toml:2" == shown["run.parallelism"]


class TestMistakes:
    def test_an_unknown_key_is_one_warning_naming_the_nearest(self, project: Project) -> None:
        """A misspelt key warns once, with the key it probably meant, and the run goes on."""
        project.pipeline(command("say", "echo hi"))
        repo = _repo_config(project, '[run]\nrunner = "local"\nparalelism = 2\n')

        done = _run(project)

        assert 0 == done.returncode, done.stderr
        assert [
            f"warning: {repo}:3: unknown setting 'run.paralelism' (did you mean 'run.parallelism'?)"
        ] == [line for line in done.stderr.splitlines() if line.startswith("warning:")]

    def test_an_unknown_table_is_named_with_its_nearest(self, project: Project) -> None:
        """A key in a misspelt table gets the same one-line warning from `hm config show`."""
        user = _user_config(project)
        user.write_text("[rnu]\nparallelism = 2\n")

        done = project.hm("config", "show", raw=True)

        assert 0 == done.returncode
        assert (
            f"warning: {user}:2: unknown setting 'rnu.parallelism' "
            "(did you mean 'run.parallelism'?)\n"
        ) == done.stderr

    def test_a_bad_value_is_exit_2_naming_file_line_and_key(self, project: Project) -> None:
        """A value the option's type refuses stops `hm run` before anything runs."""
        project.pipeline(command("say", "echo hi"))
        repo = _repo_config(project, '[run]\nrunner = "local"\nparallelism = "four"\n')

        done = _run(project)

        assert (2, "") == (done.returncode, done.stdout)
        assert f"error: {repo}:3: run.parallelism: 'four' is not a valid int.\n" == done.stderr

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ('# tuning\nrun.runner = "local"\nrun.parallelism = "four"\n', 3),
            ('[other]\nx = 1\n\n[run]\nparallelism = "four"\n', 5),
            ('run = { runner = "local", parallelism = "four" }\n', 1),
            ('[run]\n"parallelism" = "four"\n', 2),
        ],
        ids=["dotted", "second-table", "inline-table", "quoted"],
    )
    def test_the_line_is_found_however_the_key_is_written(
        self, project: Project, text: str, line: int
    ) -> None:
        """Dotted keys, later tables, inline tables and quoted keys all name their line."""
        repo = _repo_config(project, text)

        done = project.hm("config", "show", raw=True)

        assert 2 == done.returncode
        assert done.stderr.startswith(f"error: {repo}:{line}: run.parallelism: ")

    def test_a_bad_choice_in_a_variable_is_exit_2_naming_it(self, project: Project) -> None:
        """HM_FORMAT=xml names the variable and what is allowed."""
        project.pipeline(command("say", "echo hi"))
        project.env["HM_FORMAT"] = "xml"

        done = _run(project)

        assert 2 == done.returncode
        assert done.stderr.startswith("error: HM_FORMAT: 'xml' is not one of 'human', 'json'")

    def test_a_file_that_is_not_toml_is_exit_2_with_its_line(self, project: Project) -> None:
        """tomllib's own position is kept in the message."""
        repo = _repo_config(project, "[run]\nrunner = local\n")

        done = project.hm("config", "show", raw=True)

        assert 2 == done.returncode
        assert done.stderr.startswith(f"error: {repo}: not valid TOML: ")
        assert "line 2" in done.stderr

    def test_help_reads_no_config(self, project: Project) -> None:
        """`hm run --help` works even when a config file is broken: it reads none."""
        _user_config(project).write_text("not toml at all [\n")

        done = project.hm("run", "--help", raw=True)

        assert (0, "") == (done.returncode, done.stderr)


class TestPluginSettings:
    def test_isolation_set_in_config_is_shown_and_checked(self, project: Project) -> None:
        """`[plugins.NAME] isolation` is a setting like any other: shown; a bad one, exit 2."""
        user = _user_config(project)
        user.write_text('[plugins.risky]\nisolation = "process"\n')
        shown = _show(project)
        repo = _repo_config(project, '[plugins.risky]\n\nisolation = "container"\n')

        done = project.hm("config", "show", raw=True)

        assert f'"process" # {user}:2' == shown["plugins.risky.isolation"]
        assert (
            2,
            f"error: {repo}:3: plugins.risky.isolation: "
            "expected one of in-process, process, got 'container'\n",
        ) == (done.returncode, done.stderr)

    def test_the_host_isolates_a_plugin_the_config_names(self, project: Project) -> None:
        """The host reads isolation from the user's config, the project's overriding it."""
        _user_config(project).write_text(
            '[plugins.risky]\nisolation = "process"\n[plugins.steady]\nisolation = "process"\n'
        )
        _repo_config(project, '[plugins.steady]\nisolation = "in-process"\n')
        env = {"XDG_CONFIG_HOME": project.env["XDG_CONFIG_HOME"]}

        assert ("process", "in-process") == (
            isolation_for("risky", env=env, project_root=project.root),
            isolation_for("steady", env=env, project_root=project.root),
        )


def test_the_readme_example_is_understood(project: Project) -> None:
    """The config file under README's Configuration has no key `hm` does not know."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = re.search(r"^## Configuration\n.*?```toml\n(.*?)```", readme, re.S | re.M)
    assert example is not None
    _user_config(project).write_text(example.group(1))

    done = project.hm("config", "show", raw=True)

    assert (0, "") == (done.returncode, done.stderr)
    assert '"process"' in _show(project)["plugins.hello.isolation"]
