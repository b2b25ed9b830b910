"""
Encode+decode throughput of the wire codecs: ``python bench/protocol.py``.

For an ExecutorInput (what the host sends each native step) and a step_log BuildEvent
(the most frequent event), one operation is an encode of the object plus a decode of its
bytes back into an object. Compared: our runtime borsh codec, borsh-construct as plain and
as ``.compile()``d schemas (both including the conversion between our classes and
construct's data), our JSON codec, and ``json.dumps``/``json.loads`` of the same data as
plain dicts (no classes at all) as the baseline. Last, the host's per-step hot path:
encode an ExecutorInput and decode a StepResult (the target is 20,000 a second), against
the same through ``json`` and dicts. Every rate is printed as a ratio to its baseline.

Run: ``python bench/protocol.py [--seconds S] [--repeat R]`` (each rate is the best of R
runs of about S seconds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import timeit
import uuid
from typing import TYPE_CHECKING, Any, Final

from harmont import protocol as p
from harmont.protocol._oracle import oracle_codec

if TYPE_CHECKING:
    from collections.abc import Callable

EXECUTOR_INPUT = p.ExecutorInput(
    step=p.CommandStep(
        key="build",
        cmd="cargo build --release",
        label="Build",
        builds_in="deps",
        image="rust:1.80",
        env={"CARGO_TERM_COLOR": "always", "RUSTFLAGS": "-D warnings"},
        timeout_seconds=600,
        cache=p.CacheSpec(policy="on_change", key="5f2c0b1e"),
    ),
    workspace_archive_id=uuid.UUID(int=1),
    env={"CI": "true", "HOME": "/root", "PATH": "/usr/local/bin:/usr/bin:/bin"},
    workdir="/workspace",
    run_id=uuid.UUID(int=2),
    step_id=uuid.UUID(int=3),
    cache_lookup=p.CacheMissBuildAs(tag="hm-cache:5f2c0b1e"),
    parent_snapshot="hm-snap:deps",
)
STEP_LOG = p.StepLog(
    step_id=uuid.UUID(int=3),
    stream=p.StdStream.STDOUT,
    line="   Compiling harmont-plugin v0.1.0 (/workspace/harmont-plugin)",
    ts=datetime.datetime(2026, 5, 1, 12, 0, 0, 125000, tzinfo=datetime.UTC),
)


def _rate(round_trip: Callable[[], Any], seconds: float, repeat: int) -> float:
    """Operations per second: the best of *repeat* runs of about *seconds* each."""
    timer = timeit.Timer(round_trip)
    number = 1
    while (took := timer.timeit(number)) < seconds * 2 / 3:
        number *= 2
    number = max(number, int(number * seconds / took))
    best = min(timer.repeat(repeat=repeat, number=number))
    return number / best


def _codecs(tp: Any, value: Any) -> dict[str, Callable[[], Any]]:
    data = p.to_borsh(value)
    plain_encode, plain_decode = oracle_codec(tp)
    compiled_encode, compiled_decode = oracle_codec(tp, compiled=True)
    as_dict = p.to_dict(value)
    text = json.dumps(as_dict)
    ours_json = p.to_json(value)
    for encode, decode in ((plain_encode, plain_decode), (compiled_encode, compiled_decode)):
        assert encode(value) == data, "borsh-construct disagrees with the runtime codec"
        assert decode(data) == value
    return {
        "harmont runtime borsh": lambda: (p.to_borsh(value), p.from_borsh(tp, data)),
        "borsh-construct plain": lambda: (plain_encode(value), plain_decode(data)),
        "borsh-construct compiled": lambda: (compiled_encode(value), compiled_decode(data)),
        "harmont JSON (cattrs)": lambda: (p.to_json(value), p.from_json(tp, ours_json)),
        "json.dumps/loads (dicts)": lambda: (json.dumps(as_dict), json.loads(text)),
    }


#: The direction of every table's ratios, in its header.
_FASTER: Final = "(x: rate over json's; higher is faster)"


def _row(name: str, rate: float, baseline: float) -> str:
    return f"  {name:<26} {rate:>10,.0f} {1e6 / rate:>8.1f}  x{rate / baseline:.2f}"


def main() -> None:
    """Measure every codec on both messages, then the hot path; print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    cases = {
        f"ExecutorInput ({len(p.to_borsh(EXECUTOR_INPUT))} B)": (p.ExecutorInput, EXECUTOR_INPUT),
        f"BuildEvent step_log ({len(p.to_borsh(STEP_LOG))} B)": (p.BuildEvent, STEP_LOG),
    }
    for title, (tp, value) in cases.items():
        rates = {
            name: _rate(fn, options.seconds, options.repeat)
            for name, fn in _codecs(tp, value).items()
        }
        baseline = rates["json.dumps/loads (dicts)"]
        print(f"\n{title}: encode+decode round trips per second {_FASTER}")
        print(f"  {'codec':<26} {'ops/s':>10} {'µs/op':>8}  vs json")
        for name, rate in rates.items():
            print(_row(name, rate, baseline))
        ours = rates["harmont runtime borsh"]
        print(
            f"  runtime borsh is {ours / rates['borsh-construct plain']:.0f}x borsh-construct plain"
            f" and {ours / rates['borsh-construct compiled']:.1f}x compiled"
        )
    step_result = p.StepResult(exit_code=0, committed_snapshot="hm-snap:build")
    result, as_dict = p.to_borsh(step_result), p.to_dict(EXECUTOR_INPUT)
    text = json.dumps(p.to_dict(step_result))
    hot_paths = {
        "json.dumps/loads (dicts)": lambda: (json.dumps(as_dict), json.loads(text)),
        "harmont runtime borsh": lambda: (
            p.to_borsh(EXECUTOR_INPUT),
            p.from_borsh(p.StepResult, result),
        ),
    }
    rates = {name: _rate(fn, options.seconds, options.repeat) for name, fn in hot_paths.items()}
    print(f"\nhost hot path, encode ExecutorInput + decode StepResult {_FASTER} (goal: 20,000/s)")
    for name, rate in rates.items():
        print(_row(name, rate, rates["json.dumps/loads (dicts)"]))


if __name__ == "__main__":
    main()
