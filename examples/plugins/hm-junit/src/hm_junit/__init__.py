"""
hm-junit: a JUnit XML report of every `hm` build, and `hm junit show FILE`.

The hook keeps one in-memory report per run (keyed by the context's run id, guarded by a
lock, since steps of parallel chains report from several threads) and writes it at
``build_end``. The report path is ``$HM_JUNIT_PATH`` or ``.harmont/junit.xml`` under the
project (``hm run -d DIR``).

Every step of the plan is a test case: passed and cached steps pass (a cached one says so
in its output), a step that exited non-zero is a ``<failure>`` naming its exit code (124
for a timeout), and a step that was cancelled (exit 130) or never ran (behind a failure,
after Ctrl-C) is ``<skipped>``, with the reason. Steps that never ran are not in the event
stream: the plan's keys (:attr:`PluginContext.planned_steps`) name them.
"""

from __future__ import annotations

import io
import os
import threading
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from harmont_sdk import (
    BuildEnd,
    ExitInfo,
    HookContinue,
    Level,
    LifecycleHook,
    StepCacheHit,
    StepEnd,
    StepQueued,
    StepStart,
    Subcommand,
    hook,
    manifest,
    positional,
    subcommand,
)

if TYPE_CHECKING:
    from harmont_sdk import HookEvent, HookOutcome, PluginContext, SubcommandInput

__all__ = ["Case", "JUnitPlugin", "default_report_path", "read_report", "render_report"]

_DEFAULT_PATH = Path(".harmont") / "junit.xml"
#: The exit code `hm` gives a step it cancelled (fail-fast, Ctrl-C).
_EXIT_CANCELLED = 130


def default_report_path(project: Path | None = None) -> Path:
    """
    Where the report is written: ``$HM_JUNIT_PATH``, or ``.harmont/junit.xml`` under
    *project* (default: the current directory); a relative ``$HM_JUNIT_PATH`` is too.
    """
    return (project or Path()) / (os.environ.get("HM_JUNIT_PATH") or _DEFAULT_PATH)


@attrs.define
class _Step:
    key: str
    runner: str = ""
    exit_code: int | None = None
    duration_ms: int = 0
    cache_tag: str | None = None

    def verdict(self) -> tuple[str, str, str] | None:
        """The JUnit element of the step, its ``type`` and ``message``; None for a pass."""
        if self.exit_code is None:
            return ("skipped", "not_run", "the step did not run")
        if self.exit_code == 0:
            return None
        if self.exit_code == _EXIT_CANCELLED:
            return ("skipped", "cancelled", "the step was cancelled")
        return ("failure", "exit_code", f"exited with code {self.exit_code}")


@attrs.define
class _Run:
    started: datetime = attrs.field(factory=lambda: datetime.now(UTC))
    steps: dict[uuid.UUID, _Step] = attrs.field(factory=dict)

    def all_steps(self, planned: tuple[str, ...]) -> list[_Step]:
        """The steps that were queued, then those of the plan that never were."""
        queued = {step.key for step in self.steps.values()}
        return [*self.steps.values(), *(_Step(key=k) for k in planned if k not in queued)]


class JUnitPlugin(LifecycleHook, Subcommand):
    """Writes a JUnit XML report at the end of each build; shows one with `hm junit show`."""

    manifest = manifest(
        "hm-junit",
        "0.1.0",
        hook(["step_queued", "step_start", "step_cache_hit", "step_end", "build_end"]),
        subcommand(
            "junit",
            "JUnit XML reports of hm builds.",
            subcommands=[
                subcommand(
                    "show",
                    "Show a JUnit XML report as a table.",
                    positional("file", help="The report to show."),
                )
            ],
        ),
        description="JUnit XML reports of hm builds",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[uuid.UUID | None, _Run] = {}

    def on_event(self, context: PluginContext, hook_event: HookEvent) -> HookOutcome:
        """Record the step events of the run; write the report at ``build_end``."""
        event = hook_event.event
        with self._lock:
            run = self._runs.setdefault(context.run_id, _Run())
            if isinstance(event, StepQueued):
                run.steps[event.step_id] = _Step(key=event.key)
            elif isinstance(event, StepStart) and event.step_id in run.steps:
                run.steps[event.step_id].runner = event.runner
            elif isinstance(event, StepCacheHit) and event.step_id in run.steps:
                run.steps[event.step_id].cache_tag = event.tag
            elif isinstance(event, StepEnd) and event.step_id in run.steps:
                run.steps[event.step_id].exit_code = event.exit_code
                run.steps[event.step_id].duration_ms = event.duration_ms
            elif isinstance(event, BuildEnd):
                del self._runs[context.run_id]
                path = default_report_path(context.project_root)
                steps = run.all_steps(context.planned_steps)
                _write_atomically(path, _report_xml(run, steps, event, context.run_id))
                context.log(Level.INFO, f"wrote JUnit report {path}")
        return HookContinue()

    def run(self, context: PluginContext, subcommand_input: SubcommandInput) -> ExitInfo:
        """`hm junit show FILE`: print the report as a table."""
        if tuple(subcommand_input.verb_path) != ("junit", "show"):
            return ExitInfo(exit_code=2, message="usage: hm junit show FILE")
        args = subcommand_input.args
        assert isinstance(args, dict)
        path = Path(str(args["file"]))
        try:
            suites = read_report(path)
        except (OSError, ET.ParseError, ValueError) as exc:
            return ExitInfo(exit_code=2, message=f"error: junit show: {path}: {exc}")
        context.write_stdout(render_report(suites).encode())
        return ExitInfo(exit_code=0)


def _report_xml(run: _Run, steps: list[_Step], end: BuildEnd, run_id: uuid.UUID | None) -> bytes:
    verdicts = [step.verdict() for step in steps]
    kinds = [verdict[0] if verdict is not None else "passed" for verdict in verdicts]
    skipped = kinds.count("skipped")
    seconds = f"{end.duration_ms / 1000:.3f}"
    counts = {
        "tests": str(len(steps)),
        "failures": str(kinds.count("failure")),
        "errors": str(kinds.count("error")),
    }
    root = ET.Element("testsuites", name="hm", time=seconds, **counts)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"hm run {run_id}" if run_id else "hm run",
        skipped=str(skipped),
        time=seconds,
        timestamp=run.started.isoformat(timespec="seconds"),
        **counts,
    )
    for step, verdict in zip(steps, verdicts, strict=True):
        case = ET.SubElement(
            suite,
            "testcase",
            name=step.key,
            classname=f"hm.{step.runner or 'unknown'}",
            time=f"{step.duration_ms / 1000:.3f}",
        )
        if verdict is not None:
            element, kind, message = verdict
            if element == "skipped":
                ET.SubElement(case, "skipped", message=message)
            else:
                ET.SubElement(case, element, type=kind, message=message)
        if step.cache_tag is not None:
            ET.SubElement(case, "system-out").text = f"cache hit: {step.cache_tag}"
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


@attrs.frozen
class Case:
    """One test case of a report, as `hm junit show` displays it."""

    suite: str
    name: str
    status: str
    seconds: float
    message: str


def read_report(path: Path) -> list[Case]:
    """
    Read the test cases of a JUnit XML report (``<testsuites>`` or a lone ``<testsuite>``).

    :raises OSError: the file cannot be read.
    :raises xml.etree.ElementTree.ParseError: it is not XML.
    :raises ValueError: it is XML but not a JUnit report.
    """
    root = ET.parse(path).getroot()
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"not a JUnit report (root element <{root.tag}>)")
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    cases = []
    for suite in suites:
        for case in suite.findall("testcase"):
            status, message = "passed", ""
            for tag in ("failure", "error", "skipped"):
                found = case.find(tag)
                if found is not None:
                    status = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                    message = found.get("message", "")
                    break
            cases.append(
                Case(
                    suite=suite.get("name", ""),
                    name=case.get("name", ""),
                    status=status,
                    seconds=float(case.get("time", "0") or 0),
                    message=message,
                )
            )
    return cases


def render_report(cases: list[Case]) -> str:
    """Render ``cases`` as a rich table followed by a one-line summary."""
    from rich.console import Console
    from rich.table import Table

    table = Table("step", "status", "time", "message", title="JUnit report")
    styles = {"passed": "green", "failed": "red", "error": "red", "skipped": "yellow"}
    for case in cases:
        status = f"[{styles[case.status]}]{case.status}[/]"
        table.add_row(case.name, status, f"{case.seconds:.3f}s", case.message)
    counts = {s: sum(1 for c in cases if c.status == s) for s in styles}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no test cases"
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color="NO_COLOR" in os.environ)
    console.print(table)
    console.print(f"{len(cases)} steps: {summary}")
    return buffer.getvalue()
