"""
Render a trace written by `hm run --trace FILE` as a PNG timeline.

One row per track (hm's stages, each chain, each image pull), time running left to right;
a step is a frame around its phases (queued pale, running green, cached teal, a failed
or cancelled step red), and each plugin call is a thin purple line under the phase it
served. README.md's picture of the example build is made with it.

Needs Pillow, which harmont itself does not (it is in the ``dev`` extra):

    pip install pillow
    hm run hello -d examples/pipelines/hello --runner local --trace hello-trace.json
    python docs/trace_png.py hello-trace.json docs/trace-hello.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont

WIDTH: Final = 1200
LABELS: Final = 190
ROW: Final = 30
TOP: Final = 34
MARGIN: Final = 12
LEGEND: Final = 34

#: hm's stages, told apart from each other and from the phases' colours.
_STAGE_COLOURS: Final = ("#4c78a8", "#72b7b2", "#9d755d", "#b279a2", "#79706e", "#8c6d31")
PHASE_COLOURS: Final = {"queued": "#f2e6b3", "running": "#59a14f", "cached": "#2ca6a4"}
_FAILED: Final = "#d62728"
_PLUGIN: Final = "#7b3fa0"
_PULL: Final = "#f58518"


#: Drawing order: a step's phases, then its plugin calls, then its frame over them.
_LAYER: Final = {"stage": 0, "pull": 0, "phase": 1, "plugin": 2, "step": 3}


def render(events: list[dict[str, Any]], out: Path) -> None:
    """Draw the slices of *events* (a trace's ``traceEvents``) into the PNG *out*."""
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    order = {
        e["tid"]: e["args"]["sort_index"] for e in events if e.get("name") == "thread_sort_index"
    }
    slices = [e for e in events if e.get("ph") == "X" and e.get("cat") in _LAYER]
    tracks = sorted({e["tid"] for e in slices} | set(names), key=lambda t: (order.get(t, t), t))
    row_of = {track: index for index, track in enumerate(tracks)}
    end = max((e["ts"] + e["dur"] for e in slices), default=1) or 1
    scale = (WIDTH - LABELS - MARGIN) / end
    height = TOP + ROW * len(tracks) + LEGEND
    failed = {
        e["args"]["key"]
        for e in slices
        if e["cat"] == "step" and e["args"]["status"] not in {"passed", "cached"}
    }

    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(12)
    _axis(draw, font, end, scale, height - LEGEND)
    for track, row in row_of.items():
        top = TOP + row * ROW
        if row % 2:
            draw.rectangle((0, top, WIDTH, top + ROW), fill="#f4f4f4")
        name = _fit(names.get(track, str(track)), font, LABELS - 2 * MARGIN)
        draw.text((MARGIN, top + ROW / 2), name, fill="black", font=font, anchor="lm")

    stages = 0
    for event in sorted(slices, key=lambda e: _LAYER[e["cat"]]):
        top = TOP + row_of[event["tid"]] * ROW
        left = LABELS + event["ts"] * scale
        right = left + max(event["dur"] * scale, 1)
        category = event["cat"]
        if category in {"stage", "pull"}:
            colour = _PULL if category == "pull" else _STAGE_COLOURS[stages % len(_STAGE_COLOURS)]
            stages += category == "stage"
            draw.rectangle((left, top + 4, right, top + ROW - 4), fill=colour)
            _label(draw, font, event["name"], box=(left, right, top), colour="white")
        elif category == "step":
            draw.rectangle((left, top + 3, right, top + ROW - 3), outline="#333333")
        elif category == "phase":
            broken = event["name"] != "queued" and event["args"]["key"] in failed
            colour = _FAILED if broken else PHASE_COLOURS.get(event["name"], "#bbbbbb")
            draw.rectangle((left, top + 4, right, top + ROW - 8), fill=colour)
        else:
            draw.rectangle((left, top + ROW - 7, right, top + ROW - 4), fill=_PLUGIN)
    for event in slices:  # step names last, over their phases
        if event["cat"] == "step":
            top = TOP + row_of[event["tid"]] * ROW - 2
            left = LABELS + event["ts"] * scale
            box = (left, left + event["dur"] * scale, top)
            _label(draw, font, event["name"], box=box, colour="black")
    _legend(draw, font, height - LEGEND + 10)
    image.save(out)


def _axis(
    draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, end: int, scale: float, bottom: int
) -> None:
    """Ticks at a round number of seconds, about ten of them, over the whole height."""
    seconds = end / 1_000_000
    steps = (0.001, 0.01, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 600, 3600)
    step = next((s for s in steps if seconds / s <= 12), steps[-1])
    ticks = int(seconds / step) + 1
    for index in range(ticks):
        tick = index * step
        left = LABELS + tick * 1_000_000 * scale
        draw.line((left, TOP - 6, left, bottom), fill="#dddddd")
        draw.text((left, TOP - 8), f"{tick:g} s", fill="#555555", font=font, anchor="mb")


def _label(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont,
    text: str,
    *,
    box: tuple[float, float, float],
    colour: str,
) -> None:
    """*text* inside the bar ``(left, right, top)``, shortened to fit, or not at all."""
    left, right, top = box
    fitted = _fit(text, font, right - left - 6)
    if fitted:
        draw.text((left + 3, top + ROW / 2 - 2), fitted, fill=colour, font=font, anchor="lm")


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    while text and font.getlength(text) > width:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def _legend(draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, top: int) -> None:
    left = float(LABELS)
    entries = [
        ("queued", PHASE_COLOURS["queued"]),
        ("running", PHASE_COLOURS["running"]),
        ("cached", PHASE_COLOURS["cached"]),
        ("failed", _FAILED),
        ("plugin call", _PLUGIN),
        ("image pull", _PULL),
    ]
    for name, colour in entries:
        draw.rectangle((left, top, left + 14, top + 12), fill=colour)
        draw.text((left + 19, top + 6), name, fill="black", font=font, anchor="lm")
        left += 19 + font.getlength(name) + 22


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", type=Path, help="a trace written by hm run --trace")
    parser.add_argument("png", type=Path, help="the PNG to write")
    args = parser.parse_args()
    render(json.loads(args.trace.read_text())["traceEvents"], args.png)


if __name__ == "__main__":
    main()
