"""`hm run --trace FILE` and `hm trace summary FILE`, through the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from ir.strategies import barrier_irs

import harmont as hm
from harmont._orchestrator._trace import Tracer
from tests.run.rig import TIMEOUT_SECONDS, command, live_commands, until, wait

if TYPE_CHECKING:
    from tests.run.rig import Project

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _read(path: Path) -> list[dict[str, Any]]:
    """The events of a trace, each checked against the Chrome trace-event format."""
    document = json.loads(path.read_text())
    events: list[dict[str, Any]] = document["traceEvents"]
    for event in events:
        assert {"ph", "pid", "tid", "name"} <= event.keys(), event
        if event["ph"] == "X":
            assert isinstance(event["ts"], int), event
            assert isinstance(event["dur"], int), event
            assert event["dur"] >= 0, event
        else:
            assert "M" == event["ph"], event
    return events


def _tracks(events: list[dict[str, Any]]) -> dict[int, str]:
    return {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}


def _slices(events: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    return [e for e in events if e["ph"] == "X" and e["cat"] == category]


def _inside(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    return bool(
        inner["tid"] == outer["tid"]
        and outer["ts"] <= inner["ts"]
        and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"]
    )


def _phases(events: list[dict[str, Any]], step: dict[str, Any]) -> list[str]:
    """The names of the phases of *step*, in order, each checked to lie inside it."""
    phases = [p for p in _slices(events, "phase") if p["args"]["key"] == step["args"]["key"]]
    assert all(_inside(p, step) for p in phases), (step, phases)
    return [p["name"] for p in sorted(phases, key=lambda p: p["ts"])]


def test_trace_has_a_track_per_chain_step_phases_and_plugin_calls(
    project: Project, tmp_path: Path
) -> None:
    """Every step is a slice on its chain's track, queued then running, its plugin call inside."""
    project.pipeline(
        command("root", "true", label="Root"),
        command("left", "true", builds_in="root"),
        command("right", "true", builds_in="root"),
        wait(),
        command("after", "true"),
    )
    trace = tmp_path / "trace.json"

    build = project.hm("--trace", str(trace))

    assert 0 == build.returncode, build.stderr
    events = _read(trace)
    tracks = _tracks(events)
    assert {"hm", "chain 0: Root", "chain 1: left", "chain 2: right", "chain 3: after"} == set(
        tracks.values()
    )
    steps = {s["args"]["key"]: s for s in _slices(events, "step")}
    assert {"root", "left", "right", "after"} == steps.keys()
    assert "Root" == steps["root"]["name"]
    for key, step in steps.items():
        assert tracks[step["tid"]].startswith(f"chain {step['args']['chain']}: "), key
        assert ["queued", "running"] == _phases(events, step), key
        assert "passed" == step["args"]["status"]
    assert ["root"] == steps["left"]["args"]["needs"]
    assert {"root", "left", "right"} == set(steps["after"]["args"]["needs"])
    calls = [c for c in _slices(events, "plugin") if c["args"]["hook"] == "execute_step"]
    assert 4 == len(calls)
    for call in calls:
        assert ("local", "local: execute_step") == (call["args"]["plugin"], call["name"])
        assert any(_inside(call, step) for step in steps.values()), call
    stages = [s["name"] for s in sorted(_slices(events, "stage"), key=lambda s: s["ts"])]
    assert ["discover", "load plugins", "plan", "pre-flight", "pack", "build"] == stages


def test_waiting_for_a_free_slot_is_queued(project: Project, tmp_path: Path) -> None:
    """Two roots, one slot: the second is queued from the build's start until the first ends."""
    project.pipeline(command("a", "sleep 0.2"), command("b", "sleep 0.2"))
    trace = tmp_path / "trace.json"

    assert 0 == project.hm("--trace", str(trace), "--parallelism", "1").returncode

    phases = {(p["args"]["key"], p["name"]): p for p in _slices(_read(trace), "phase")}
    first, second = sorted("ab", key=lambda k: phases[k, "running"]["ts"])
    ran, queued = phases[first, "running"], phases[second, "queued"]
    assert queued["ts"] <= ran["ts"]
    assert ran["ts"] + ran["dur"] <= queued["ts"] + queued["dur"]


def test_a_cache_hit_shows_as_cached(project: Project, tmp_path: Path) -> None:
    """The second build restores the cached step: its slice and its phase say cached."""
    key = uuid.uuid4().hex * 2
    project.pipeline(command("build", "echo built > out", cache={"policy": "forever", "key": key}))
    first, second = tmp_path / "first.json", tmp_path / "second.json"

    builds = [project.hm("--trace", str(first)), project.hm("--trace", str(second))]

    assert [0, 0] == [b.returncode for b in builds], builds[1].stderr
    [ran] = _slices(_read(first), "step")
    events = _read(second)
    [hit] = _slices(events, "step")
    assert ("passed", "cached") == (ran["args"]["status"], hit["args"]["status"])
    assert ["queued", "cached"] == _phases(events, hit)


def test_a_failing_build_still_writes_its_trace(project: Project, tmp_path: Path) -> None:
    """A step that fails is in the trace with its exit code; what was skipped is not."""
    project.pipeline(command("bad", "exit 3"), wait(), command("never", "true"))
    trace = tmp_path / "trace.json"

    build = project.hm("--trace", str(trace))

    assert 1 == build.returncode, build.stderr
    [bad] = _slices(_read(trace), "step")
    assert ("bad", "failed (exit 3)") == (bad["args"]["key"], bad["args"]["status"])


def test_a_build_that_cannot_start_still_writes_its_trace(project: Project, tmp_path: Path) -> None:
    """An unknown runner stops the run while planning: the trace shows how far it got."""
    project.pipeline(command("step", "true", runner="nowhere"))
    trace = tmp_path / "trace.json"

    build = project.hm("--trace", str(trace))

    assert 7 == build.returncode, build.stderr
    stages = [s["name"] for s in _slices(_read(trace), "stage")]
    assert ["discover", "load plugins", "plan"] == stages


def test_a_run_whose_cleanup_fails_still_writes_its_trace(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    In process, the host failing to close after a passed build: the error is the run's,
    and the trace still holds the build, not the empty file made at the start.
    """
    from harmont import run
    from harmont._plugins._host import Host

    def fail_to_close(self: Host) -> None:
        raise OSError("the state directory went away")

    for name, value in project.env.items():
        if name == "HOME" or name.startswith(("XDG_", "HM_")):
            monkeypatch.setenv(name, value)
    monkeypatch.setattr(Host, "close", fail_to_close)
    trace = tmp_path / "trace.json"

    with pytest.raises(OSError, match="the state directory went away"):
        run(
            project.pipeline(command("step", "true")),
            directory=project.root,
            runner="local",
            trace=trace,
        )

    [step] = _slices(_read(trace), "step")
    assert ("step", "passed") == (step["args"]["key"], step["args"]["status"])


def test_a_cancelled_build_flushes_what_was_recorded(project: Project, tmp_path: Path) -> None:
    """SIGTERM mid-step: the trace is whole JSON, the finished step and the cancelled one in it."""
    marker = str(900_000_000 + uuid.uuid4().int % 100_000_000)
    project.pipeline(
        command("first", "true"), command("hang", f"sleep {marker}", builds_in="first")
    )
    trace = tmp_path / "trace.json"

    process = project.start("--trace", str(trace))
    until(lambda: bool(live_commands(f"sleep {marker}")), "the step's sleep")
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=TIMEOUT_SECONDS)

    assert 143 == process.returncode
    statuses = {s["args"]["key"]: s["args"]["status"] for s in _slices(_read(trace), "step")}
    assert {"first": "passed", "hang": "cancelled"} == statuses


def test_a_forced_exit_flushes_what_was_recorded(project: Project, tmp_path: Path) -> None:
    """A step that ignores the cancel, then a second SIGTERM: the trace is still whole JSON."""
    marker = str(900_000_000 + uuid.uuid4().int % 100_000_000)
    project.pipeline(command("stuck", f"trap '' TERM HUP INT; sleep {marker}; sleep 1"))
    trace = tmp_path / "trace.json"

    with (tmp_path / "stderr").open("w+") as stderr:
        process = project.start("--trace", str(trace), stderr=stderr)
        until(lambda: bool(live_commands(f"sleep {marker}")), "the step's sleep")
        process.send_signal(signal.SIGTERM)
        until(lambda: "cancelling on" in (tmp_path / "stderr").read_text(), "the first signal")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT_SECONDS)

    assert 143 == process.returncode
    events = _read(trace)
    [stuck] = _slices(events, "step")
    assert ("stuck", "unfinished") == (stuck["args"]["key"], stuck["args"]["status"])
    assert "build" in {s["name"] for s in _slices(events, "stage")}


def test_trace_is_configurable_as_every_run_option(project: Project) -> None:
    """`[run] trace = FILE` in the project's config traces every `hm run`."""
    project.pipeline(command("step", "true"))
    (project.root / ".harmont").mkdir()
    (project.root / ".harmont" / "config.toml").write_text('[run]\ntrace = "from-config.json"\n')

    build = project.hm("run", "pipeline.json", "--runner", "local", raw=True)

    assert 0 == build.returncode, build.stderr
    [step] = _slices(_read(project.root / "from-config.json"), "step")
    assert "step" == step["args"]["key"]


def test_an_unwritable_trace_path_is_refused_before_the_build(
    project: Project, tmp_path: Path
) -> None:
    """A trace in a directory that does not exist: one error line, exit 2, nothing run."""
    project.pipeline(command("step", "echo ran"))

    build = project.hm("--trace", str(tmp_path / "missing" / "trace.json"))

    assert 2 == build.returncode
    assert "cannot write the trace to" in build.stderr
    assert "" == build.stdout


def _step(
    key: str, *, chain: int, ts: int, queued: int, work: int, needs: list[str]
) -> dict[str, Any]:
    return {
        "ph": "X",
        "cat": "step",
        "name": key.upper(),
        "ts": ts,
        "dur": queued + work,
        "pid": 1,
        "tid": chain + 1,
        "args": {
            "key": key,
            "chain": chain,
            "needs": needs,
            "status": "passed",
            "queued_us": queued,
        },
    }


def _call(plugin: str, hook: str, *, ts: int, dur: int) -> dict[str, Any]:
    args = {"plugin": plugin, "hook": hook}
    return {
        "ph": "X",
        "cat": "plugin",
        "name": "x",
        "ts": ts,
        "dur": dur,
        "pid": 1,
        "tid": 0,
        "args": args,
    }


def test_summary_of_a_known_trace(project: Project, tmp_path: Path) -> None:
    """
    A fork and a wait: root forks into slow and quick, and last waits for all three.

    quick ends last only because it queued for long: the critical path is the chain of
    needs with the most work, so it goes through slow, not quick.
    """
    s = 1_000_000
    events = [
        {
            "ph": "X",
            "cat": "stage",
            "name": "build",
            "ts": 0,
            "dur": 12 * s,
            "pid": 1,
            "tid": 0,
            "args": {},
        },
        _step("root", chain=0, ts=0, queued=0, work=2 * s, needs=[]),
        _step("slow", chain=1, ts=2 * s, queued=0, work=5 * s, needs=["root"]),
        _step("quick", chain=2, ts=2 * s, queued=5 * s, work=1 * s, needs=["root"]),
        _step("last", chain=3, ts=8 * s, queued=0, work=3 * s, needs=["root", "slow", "quick"]),
        _call("local", "execute_step", ts=0, dur=2 * s),
        _call("local", "execute_step", ts=2 * s, dur=5 * s),
        _call("audit", "on_hook_event", ts=0, dur=s // 2),
    ]
    trace = tmp_path / "known.json"
    trace.write_text(json.dumps({"traceEvents": events}))

    done = project.hm("trace", "summary", str(trace), raw=True)

    assert 0 == done.returncode, done.stderr
    assert [
        "build: 12.000 s, 4 steps",
        "slowest steps (work, without the time queued; 4 shown):",
        "    5.000 s  SLOW [slow]  passed",
        "    3.000 s  LAST [last]  passed",
        "    2.000 s  ROOT [root]  passed",
        "    1.000 s  QUICK [quick]  passed",
        "critical path: 10.000 s of work in 3 steps, each needing the last:",
        "    2.000 s  ROOT [root]",
        "    5.000 s  SLOW [slow]",
        "    3.000 s  LAST [last]",
        "time in plugin calls:",
        "    7.000 s  local: 2 calls (execute_step 7.000 s x2)",
        "    0.500 s  audit: 1 call (on_hook_event 0.500 s x1)",
    ] == done.stdout.splitlines()


def test_summary_of_a_real_trace_names_its_steps(project: Project, tmp_path: Path) -> None:
    """The summary of a build just traced lists its steps and the local runner's calls."""
    project.pipeline(command("one", "true"), command("two", "true", builds_in="one"))
    trace = tmp_path / "trace.json"
    assert 0 == project.hm("--trace", str(trace)).returncode

    done = project.hm("trace", "summary", str(trace), raw=True)

    assert 0 == done.returncode, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("critical path: ") and "in 2 steps" in line for line in lines)
    assert any("local: " in line and "execute_step" in line for line in lines)


def test_summary_of_a_bad_file_is_one_line_and_exit_2(project: Project, tmp_path: Path) -> None:
    """Not JSON, JSON that is not a trace, no file: each one fixed sentence and a hint, exit 2."""
    (tmp_path / "text.json").write_text("not json")
    (tmp_path / "other.json").write_text('{"traceEvents": [{"ph": "X"}]}')
    (tmp_path / "lists.json").write_text('{"traceEvents": [["X"]]}')
    not_a_trace = "not a trace written by `hm run --trace FILE`"
    hint = "hint: give the file `hm run --trace FILE` wrote, as it wrote it"

    for name, problem in (
        ("text.json", not_a_trace),
        ("other.json", not_a_trace),
        ("lists.json", not_a_trace),
        ("absent.json", "No such file or directory"),
    ):
        done = project.hm("trace", "summary", str(tmp_path / name), raw=True)

        assert (2, [f"error: {tmp_path / name}: {problem}", hint]) == (
            done.returncode,
            done.stderr.splitlines(),
        )


def test_the_png_script_draws_a_row_per_track_and_the_steps_as_bars(
    project: Project, tmp_path: Path
) -> None:
    """docs/trace_png.py on a real trace: one row per track, a step's running phase green."""
    from PIL import Image

    project.pipeline(command("first", "sleep 0.3"), command("second", "true", builds_in="first"))
    trace, png = tmp_path / "trace.json", tmp_path / "trace.png"
    assert 0 == project.hm("--trace", str(trace)).returncode

    subprocess.run([sys.executable, str(DOCS / "trace_png.py"), str(trace), str(png)], check=True)

    sys.path.insert(0, str(DOCS))
    try:
        import trace_png
    finally:
        sys.path.remove(str(DOCS))
    events = _read(trace)
    rows = len(_tracks(events))  # hm and one chain
    picture = Image.open(png)
    assert (trace_png.WIDTH, trace_png.TOP + trace_png.ROW * rows + trace_png.LEGEND) == (
        picture.size
    )
    [running] = [p for p in _slices(events, "phase") if p["args"]["key"] == "first"][1:]
    end = max(e["ts"] + e["dur"] for e in _slices(events, "stage"))
    scale = (trace_png.WIDTH - trace_png.LABELS - trace_png.MARGIN) / end
    middle = trace_png.LABELS + (running["ts"] + running["dur"] / 2) * scale
    row_top = trace_png.TOP + trace_png.ROW  # the chain's row, under hm's
    pixel = picture.convert("RGB").getpixel((int(middle), row_top + trace_png.ROW // 2))
    assert trace_png.PHASE_COLOURS["running"] == "#{:02x}{:02x}{:02x}".format(*pixel)


@settings(deadline=None)
@given(barrier_irs())
def test_a_steps_needs_are_its_previous_step_then_its_waits_in_plan_order(
    ir: hm.PipelineIR,
) -> None:
    """
    What a step's slice says it needs, read from the plan's wait groups, is its chain's
    previous step, then each step of :attr:`harmont.Chain.waits` it waits for, in that
    order (groups overlapping each other and the chain included).
    """
    plan = hm.plan(ir, default_runner="local")
    tracer = Tracer("/dev/null")
    tracer.subscriber(plan)

    for chain in plan.chains:
        for previous, key in zip((None, *chain.keys), chain.keys, strict=False):
            waits = [wait.after for wait in chain.waits if wait.step == key]
            expected = dict.fromkeys([*([previous] if previous else []), *waits])
            assert tuple(expected) == tracer._needs[key]
