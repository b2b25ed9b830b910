"""
`hm trace summary`: a trace written by `hm run --trace` (:mod:`._trace`) read back as text.

Three answers to "where did the time go": the slowest steps; the critical path, the chain
of needs whose work adds up to the most (no parallelism could make the build shorter than
that), found from the needs each step's slice records, so the pipeline is not needed; and
the time spent in each plugin's calls.

A step's work is its slice less its ``queued`` phase: time spent waiting for a slot says
something about ``--parallelism``, not about the step.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import UsageError
from harmont._orchestrator._trace import CATEGORY_PLUGIN, CATEGORY_STAGE, CATEGORY_STEP

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["TraceStep", "read_trace", "summary"]

#: How many of the slowest steps the summary lists.
SLOWEST: Final = 10
_US: Final = 1_000_000


@attrs.frozen(kw_only=True)
class TraceStep:
    """One step as its trace slice records it."""

    key: str
    label: str
    chain: int
    status: str
    needs: tuple[str, ...]
    #: When it became ready, in microseconds from the start of the run.
    start_us: int
    #: Microseconds from ready to end, and of work (less the queued phase).
    total_us: int
    work_us: int


@attrs.frozen(kw_only=True)
class Trace:
    """What a summary needs of a trace file."""

    steps: dict[str, TraceStep]
    #: (plugin, hook) -> (calls, microseconds)
    plugin_calls: dict[tuple[str, str], tuple[int, int]]
    #: The build stage's length, or the steps' span when the run stopped before it.
    build_us: int


def read_trace(path: Path) -> Trace:
    """
    Read a trace written by `hm run --trace`.

    :raises UsageError: the file cannot be read, or is not such a trace.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return _parse(document["traceEvents"])
    except OSError as exc:
        problem = exc.strerror or str(exc)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        # Which field of which event broke the parse says nothing to the reader.
        problem = "not a trace written by `hm run --trace FILE`"
    raise UsageError(f"{path}: {problem}", hint=_HINT)


_HINT: Final = "give the file `hm run --trace FILE` wrote, as it wrote it"


def _parse(events: list[dict[str, object]]) -> Trace:
    steps: dict[str, TraceStep] = {}
    calls: dict[tuple[str, str], tuple[int, int]] = {}
    build_us: int | None = None
    span: list[int] = []
    for event in events:
        if event["ph"] != "X":
            continue
        category, start, duration = event["cat"], _int(event["ts"]), _int(event["dur"])
        args = event["args"]
        if not isinstance(args, dict):
            raise TypeError(f"the args of {event['name']!r} are not an object")
        if category == CATEGORY_STEP:
            key = str(args["key"])
            steps[key] = TraceStep(
                key=key,
                label=str(event["name"]),
                chain=_int(args["chain"]),
                status=str(args["status"]),
                needs=tuple(str(need) for need in args["needs"]),
                start_us=start,
                total_us=duration,
                work_us=duration - _int(args["queued_us"]),
            )
            span += [start, start + duration]
        elif category == CATEGORY_PLUGIN:
            name = (str(args["plugin"]), str(args["hook"]))
            count, total = calls.get(name, (0, 0))
            calls[name] = (count + 1, total + duration)
        elif category == CATEGORY_STAGE and event["name"] == "build":
            build_us = duration
    if build_us is None:
        build_us = max(span, default=0) - min(span, default=0)
    return Trace(steps=steps, plugin_calls=calls, build_us=build_us)


def critical_path(steps: dict[str, TraceStep]) -> list[TraceStep]:
    """The chain of needs with the most work, first step first (empty for no steps)."""
    longest: dict[str, tuple[int, str | None]] = {}  # key -> (work up to its end, via)
    # A step became ready once its needs had ended: in order of readiness, every need of a
    # step is resolved before it.
    for step in sorted(steps.values(), key=lambda s: s.start_us):
        before = [(longest[need][0], need) for need in step.needs if need in longest]
        best, via = max(before, default=(0, None))
        longest[step.key] = (best + step.work_us, via)
    end = max(longest, key=lambda k: longest[k][0], default=None)
    path: list[TraceStep] = []
    while end is not None:
        path.append(steps[end])
        end = longest[end][1]
    return path[::-1]


def summary(trace: Trace) -> list[str]:
    """The summary's lines."""
    steps = trace.steps
    lines = [f"build: {_seconds(trace.build_us)}, {len(steps)} steps"]
    slowest = sorted(steps.values(), key=lambda s: s.work_us, reverse=True)[:SLOWEST]
    lines.append(f"slowest steps (work, without the time queued; {len(slowest)} shown):")
    lines += [f"  {_seconds(s.work_us):>9}  {_name(s)}  {s.status}" for s in slowest]
    path = critical_path(steps)
    work = sum(step.work_us for step in path)
    lines.append(
        f"critical path: {_seconds(work)} of work in {len(path)} steps, each needing the last:"
    )
    lines += [f"  {_seconds(s.work_us):>9}  {_name(s)}" for s in path]
    by_plugin: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for (plugin, hook), (count, total) in trace.plugin_calls.items():
        by_plugin[plugin].append((hook, count, total))
    lines.append("time in plugin calls:")
    ranked = sorted(by_plugin.items(), key=lambda item: -sum(t for _, _, t in item[1]))
    for plugin, hooks in ranked:
        total = sum(t for _, _, t in hooks)
        calls = sum(c for _, c, _ in hooks)
        detail = ", ".join(
            f"{hook} {_seconds(t)} x{c}" for hook, c, t in sorted(hooks, key=lambda h: -h[2])
        )
        noun = "call" if calls == 1 else "calls"
        lines.append(f"  {_seconds(total):>9}  {plugin}: {calls} {noun} ({detail})")
    if not ranked:
        lines.append("  none")
    return lines


def _int(value: object) -> int:
    if not isinstance(value, int | float):
        raise TypeError(f"{value!r} is not a number")
    return int(value)


def _name(step: TraceStep) -> str:
    return step.label if step.label == step.key else f"{step.label} [{step.key}]"


def _seconds(microseconds: int) -> str:
    return f"{microseconds / _US:.3f} s"
