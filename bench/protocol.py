"""
Encode+decode throughput of the wire codecs: ``python bench/protocol.py``.

For an ExecutorInput (what the host sends each native step) and a step_log BuildEvent
(the most frequent event), one operation is an encode of the object plus a decode of its
bytes back into an object. Compared: our runtime borsh codec, borsh-construct as plain and
as ``.compile()``d schemas (both including the conversion between our classes and
construct's data), our JSON codec, and ``json.dumps``/``json.loads`` of the same data as
plain dicts (no classes at all) as the baseline. Last, the host's per-step hot path:
encode an ExecutorInput and decode a StepResult (the target is 20,000 a second).
"""

from __future__ import annotations

import datetime
import json
import timeit
import uuid
from typing import TYPE_CHECKING, Any

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


def _rate(round_trip: Callable[[], Any]) -> float:
    """Operations per second: the best of three runs of about 0.3 s each."""
    number, _ = timeit.Timer(round_trip).autorange()
    number = max(number, int(number * 0.3 / 0.2))
    best = min(timeit.repeat(round_trip, number=number, repeat=3))
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


def main() -> None:
    cases = {
        f"ExecutorInput ({len(p.to_borsh(EXECUTOR_INPUT))} B)": (p.ExecutorInput, EXECUTOR_INPUT),
        f"BuildEvent step_log ({len(p.to_borsh(STEP_LOG))} B)": (p.BuildEvent, STEP_LOG),
    }
    for title, (tp, value) in cases.items():
        rates = {name: _rate(fn) for name, fn in _codecs(tp, value).items()}
        baseline = rates["json.dumps/loads (dicts)"]
        print(f"\n{title}: encode+decode round trips per second")
        print(f"  {'codec':<26} {'ops/s':>10} {'µs/op':>8} {'vs json':>8}")
        for name, rate in rates.items():
            print(f"  {name:<26} {rate:>10,.0f} {1e6 / rate:>8.1f} {rate / baseline:>7.2f}x")
        ours = rates["harmont runtime borsh"]
        print(
            f"  runtime borsh is {ours / rates['borsh-construct plain']:.0f}x borsh-construct plain"
            f" and {ours / rates['borsh-construct compiled']:.1f}x compiled"
        )
    result = p.to_borsh(p.StepResult(exit_code=0, committed_snapshot="hm-snap:build"))
    hot_path = _rate(lambda: (p.to_borsh(EXECUTOR_INPUT), p.from_borsh(p.StepResult, result)))
    print(f"\nhost hot path, encode ExecutorInput + decode StepResult: {hot_path:,.0f}/s")


if __name__ == "__main__":
    main()
