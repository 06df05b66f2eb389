"""How fast the pad answers in a real browser: pen-up to the answer on screen, and answers while
the pen is still moving.

    python -m bench.pad_latency                  # 40 drawings + 5 one-second strokes
    python -m bench.pad_latency --drawings 100

Headless Debian Chromium (Playwright) draws the hand-made digits with the mouse on `python app.py`
over loopback, at random places, sizes and slants, one drawing at a time with Clear between
them. The page reports every answer through the pad's own event; the time is from the pen-up
(pointerup, in the page) to the frame after the final answer was drawn. Browser, server and
this script share the machine's cores.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from bench.common import markdown_table, summary, write
from harness.browser import Pad, chromium
from harness.server import AppServer
from model.synth.sketches import Placement, placed_strokes
from ui.pad import BRUSH, CANVAS


def one_second_stroke(pad: Pad) -> dict:
    """Draw a 0 as one stroke lasting a second; its length and the answers while the pen was down."""
    (stroke,) = placed_strokes(0, Placement(CANVAS, (320, 160), 220, 0, BRUSH))
    # 16 moves: each is a round trip to the browser (about 50 ms here), more would run over a second
    pad.stroke(stroke[:: max(1, len(stroke) // 16)].tolist(), seconds=1.0)
    timing = pad.stroke_timing()
    pad.final()
    return timing


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--drawings", type=int, default=40)
    p.add_argument("--strokes", type=int, default=5, help="one-second strokes for the live answers")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    results, live = [], []
    with (
        tempfile.TemporaryDirectory() as tmp,
        AppServer(Path(tmp) / "app.log") as server,
        chromium() as browser,
    ):
        pad = Pad(browser, server.url)
        for digit in (1, 8):  # warm-up: the page's and the server's first readings
            pad.draw(digit, Placement(CANVAS, (320, 160), 200, 0, BRUSH))
            pad.final()
            pad.page.get_by_test_id("clear").click()
        for i in range(args.drawings):
            digit = i % 10
            place = Placement(
                CANVAS,
                (float(rng.uniform(200, 440)), float(rng.uniform(140, 180))),
                float(rng.uniform(150, 250)),
                float(rng.uniform(-8, 8)),
                BRUSH,
            )
            pad.draw(digit, place, pause=0.008)
            final = pad.final()
            results.append({"digit": digit, **final, "right": final["number"] == str(digit)})
            pad.page.get_by_test_id("clear").click()
        for _ in range(args.strokes):
            pad.page.evaluate("window.__answers = []")
            live.append(one_second_stroke(pad))
            pad.page.get_by_test_id("clear").click()
        pad.close()

    on_screen = [(r["ms"] + r["painted"]) / 1e3 for r in results]
    stats = summary(on_screen)
    p95 = float(np.percentile(np.asarray(on_screen) * 1e3, 95))
    right = sum(r["right"] for r in results)
    shown_ok = sum(r["shown"] == r["number"] for r in results)
    rows = [
        ["drawings", len(results)],
        ["read right", f"{right}/{len(results)}"],
        ["final answer still shown a moment later", f"{shown_ok}/{len(results)}"],
        ["pen-up → answer on screen, median", f"{stats['median_ms']:.0f} ms"],
        ["pen-up → answer on screen, p95", f"{p95:.0f} ms"],
        ["pen-up → answer on screen, max", f"{1e3 * max(on_screen):.0f} ms"],
        [
            "answers while the pen moves, one-second stroke (min / median)",
            f"{min(s['answers'] for s in live)} / {np.median([s['answers'] for s in live]):.0f} "
            f"(strokes of {np.median([s['ms'] for s in live]):.0f} ms)",
        ],
    ]
    write(
        "pad_latency",
        {"drawings": results, "live_answers_per_second_stroke": live, "on_screen": stats, "p95_ms": p95},
        markdown_table(["real Chromium, the pad", ""], rows),
        f"python -m bench.pad_latency --drawings {args.drawings}",
    )


if __name__ == "__main__":
    main()
