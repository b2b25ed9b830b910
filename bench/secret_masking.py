"""
What masking secrets costs on the step-output path, against passing output through.

A step's output enters the host in chunks; with secrets, each (step, stream) pushes them
through a :class:`harmont._secrets.StreamMasker` before lines are split. This feeds the
same 64 KiB chunks of ordinary log lines (none holding a value) through a masker holding
three secrets and their encoded forms, and, as the baseline, through the line split the
host does to every chunk anyway (``bytes.split``); it prints megabytes per second of each,
best of a few rounds, and the time each takes as a ratio to the split's.

Run: ``python bench/secret_masking.py [--megabytes N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from harmont._secrets import Masker

if TYPE_CHECKING:
    from collections.abc import Callable

_LINE = b"2026-12-07T01:23:45Z INFO compiling crate foo v1.2.3 (/workspace/foo) in 0.25s\n"
_CHUNK = (_LINE * (65536 // len(_LINE) + 1))[:65536]


def _rate(work: Callable[[bytes], object], chunks: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(chunks):
            work(_CHUNK)
        best = min(best, time.perf_counter() - started)
    return chunks * len(_CHUNK) / best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--megabytes", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    chunks = options.megabytes * 16
    split = _rate(lambda chunk: chunk.split(b"\n"), chunks, options.repeat)
    stream = Masker(["ghp_abcdefghijklmnop1234", "hunter22", "s3cr3t/Value+42"]).stream()
    masked = _rate(stream.feed, chunks, options.repeat)
    print(
        f"{options.megabytes} MB in 64 KiB chunks, best of {options.repeat}"
        " (x: time over the baseline's; higher is slower)"
    )
    print(f"  line split (baseline)   {split:8.0f} MB/s  x1.00")
    print(f"  masking three secrets   {masked:8.0f} MB/s  x{split / masked:.2f}")


if __name__ == "__main__":
    main()
