"""`hm plugin check NAME|FILE`: a plugin's conformance run, as a report of timed checks."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Annotated

import typer

from harmont_cli._help import HelpCommand

if TYPE_CHECKING:
    from harmont._plugins._conformance import Check, Report

__all__ = ["format_check", "register"]


class CheckFormat(enum.Enum):
    """Output of `hm plugin check`."""

    HUMAN = "human"
    JSON = "json"


def register(group: typer.Typer) -> None:
    """Add `check` to the `hm plugin` group."""

    @group.command("check", cls=HelpCommand)
    def check_command(
        target: Annotated[
            str,
            typer.Argument(
                metavar="NAME|FILE",
                help="An installed plugin's name (as `hm plugin list` shows it), a native "
                "plugin library (a .so file), or a Python file holding a plugin: FILE.py "
                "(the module is the plugin) or FILE.py:ATTR (its object ATTR; a class is "
                "instantiated once).",
                show_default=False,
            ),
        ],
        output: Annotated[
            CheckFormat,
            typer.Option(
                "--format",
                metavar="human|json",
                help="human (a line per check, as each ends) or json (one object at the end).",
            ),
        ] = CheckFormat.HUMAN,
    ) -> None:
        """
        Check that a plugin does what hm expects of it, against a real host.

        The manifest is validated as hm validates it at load. Then each capability is
        called as a build calls it: every hook event kind the plugin subscribes to, in
        both phases; on each runner, in a temporary workspace, a passing step, a failing
        one, one cancelled through should_cancel and one past its time limit; each verb,
        with a value for every argument it declares. What comes back must decode
        strictly. Every call that can repeat is then made from 8 threads at once and must
        answer as it did alone. Each check is timed.

        A native library runs in a worker process, so a crash or a hang fails a check
        and hm goes on. A Python plugin runs in hm's process, as in a build: an exception
        of any kind or a hang fails a check, but a plugin that kills the process ends the
        run.

        Exits 0 when every check passes, 1 when one fails, 2 when NAME|FILE names no
        plugin or cannot be read.
        """
        from harmont._plugins._conformance import check_plugin

        human = output is CheckFormat.HUMAN
        report = check_plugin(target, progress=_print_check if human else None)
        if human:
            typer.echo(_summary(report))
        else:
            typer.echo(json.dumps(report.to_data(), indent=2, ensure_ascii=False))
        raise typer.Exit(0 if report.passed else 1)


def format_check(check: Check) -> str:
    """
    One report line (and the reason, on the next, for a failed check); a pass with a note
    ends ``(NOTE)``, so that it is not taken for a full pass, and the columns stay aligned.
    """
    verdict = "ok" if check.ok else "FAIL"
    line = f"{verdict:<4}  {check.name:<40} {check.seconds * 1000:>9.1f} ms"
    if check.note is not None:
        line = f"{line}  ({check.note})"
    return line if check.reason is None else f"{line}\n      {check.reason}"


def _print_check(check: Check) -> None:
    typer.echo(format_check(check))


def _summary(report: Report) -> str:
    failed = [check.name for check in report.checks if not check.ok]
    if report.plugin is None:
        what = f"{report.source} ({report.kind})"
    else:
        version = f" {report.version}" if report.version else ""
        what = f"{report.plugin}{version} ({report.kind}, {report.source})"
    if not failed:
        noted = [f"{check.name} {check.verdict}" for check in report.checks if check.note]
        caveat = f"; {', '.join(noted)}" if noted else ""
        return f"{what}: all {len(report.checks)} checks passed{caveat}"
    return f"{what}: {len(failed)} of {len(report.checks)} checks failed: {', '.join(failed)}"
