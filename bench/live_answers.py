"""What the pad's answer line shows while single digits are drawn, in a real browser.

    python -m bench.live_answers                                   # 100 digits
    python -m bench.live_answers --name live_answers_before        # e.g. on an older ui/pad.js
    python -m bench.live_answers --compare bench/results/live_answers_before.json

The digits are MNIST test digits (the sketch-style set's source, model/synth/sketches.py), their
centre lines traced into strokes (model/training/strokes.py) and joined where a pen would go on
through a junction, then drawn with the mouse on `python app.py` in headless Chromium at a hand's
pace (400 px/s), at random places and sizes, one digit at a time with Clear between them. Every
answer the pad reports ("pad:answer", ui/pad.js) is taken with the text the answer line shows at
that moment; a live answer is any before the final one. Reported: the share of live answers that
show two or more digits, the digits read right at the end (and, with --compare, how many were
right in the other run and are wrong now), and pen-up -> final answer on screen.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_DATA, markdown_table, summary, write
from harness.browser import Pad, chromium
from harness.server import AppServer
from model.training.data import load_mnist
from model.training.strokes import trace
from ui.pad import CANVAS

JOIN_PX = 1.5  # a piece that starts this close to where the pen is (28 px units) is drawn on
SPACING = 12.0  # canvas px between the points sent as mouse moves (the harness adds a step between)
PACE = 400.0  # canvas px per second: about a second for a digit
# The answer line's text, taken when each answer arrives.
RECORD_SHOWN = """
document.addEventListener("pad:answer", (e) => {
  const line = document.querySelector('[data-testid="answer"]');
  window.__answers[window.__answers.length - 1].text = line.textContent;
});
"""


def pen_strokes(pieces: list[np.ndarray]) -> list[np.ndarray]:
    """Traced pieces of a centre line joined into pen strokes: start at the topmost free end, go on
    through any piece that begins where the pen is, lift the pen when none does."""
    left = [np.asarray(p, np.float32) for p in pieces if len(p)]
    strokes = []
    while left:
        i, end = min(
            ((i, e) for i in range(len(left)) for e in (0, -1)), key=lambda ie: left[ie[0]][ie[1]][1]
        )
        stroke = left.pop(i)[:: 1 if end == 0 else -1]
        while left:
            gaps = [(np.linalg.norm(p[e] - stroke[-1]), k, e) for k, p in enumerate(left) for e in (0, -1)]
            gap, k, e = min(gaps, key=lambda g: g[0])
            if gap > JOIN_PX:
                break
            stroke = np.concatenate([stroke, left.pop(k)[:: 1 if e == 0 else -1]])
        strokes.append(stroke)
    return strokes


def resample(stroke: np.ndarray, spacing: float) -> np.ndarray:
    """Points every `spacing` px along a polyline, as a pointer reports them."""
    seg = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    at = np.concatenate([[0], np.cumsum(seg)])
    if at[-1] < spacing:
        return stroke[[0, -1]] if len(stroke) > 1 else stroke
    t = np.append(np.arange(0, at[-1], spacing), at[-1])
    return np.stack([np.interp(t, at, stroke[:, 0]), np.interp(t, at, stroke[:, 1])], axis=1)


def on_the_pad(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Strokes in 28 px units placed on the pad: 120-260 px tall, somewhere on the canvas."""
    every = np.concatenate(strokes)
    height = float(rng.uniform(120, 260))
    scale = height / max(float(np.ptp(every[:, 1])), 1.0)
    width = float(np.ptp(every[:, 0])) * scale
    margin = 20
    cx = rng.uniform(margin + width / 2, CANVAS[0] - margin - width / 2)
    cy = rng.uniform(margin + height / 2, CANVAS[1] - margin - height / 2)
    middle = (every.min(0) + every.max(0)) / 2
    return [resample((s - middle) * scale + [cx, cy], SPACING) for s in strokes]


def digit_count(text: str | None) -> int:
    return len(re.findall(r"[0-9]", text or ""))


def draw_one(pad: Pad, strokes: list[np.ndarray]) -> dict:
    """Draw one digit at a hand's pace; its live answers (text shown) and its final answer."""
    pad.page.evaluate("window.__answers = []")
    for s in strokes:
        length = float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum())
        pad.stroke(s.tolist(), seconds=max(0.15, length / PACE))
    final = pad.final()
    answers = pad.answers()
    first_final = next(
        i for i, a in enumerate(answers) if a["final"] and a["t"] > pad.page.evaluate("window.__lastUp")
    )
    live = [a.get("text", a["number"]) for a in answers[:first_final]]
    return {
        "final": final["number"],
        "shown": final["shown"],
        "ms": final["ms"] + final["painted"],
        "live": live,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--digits", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--name", default="live_answers", help="results go to bench/results/NAME.{json,md}")
    p.add_argument("--compare", type=Path, help="an earlier run's JSON: count finals right there, wrong now")
    args = p.parse_args()
    images, labels = load_mnist(args.data_dir, train=False)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(images))[: args.digits]
    drawings = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        AppServer(Path(tmp) / "app.log") as server,
        chromium() as browser,
    ):
        pad = Pad(browser, server.url)
        pad.page.evaluate(RECORD_SHOWN)
        clear = pad.page.get_by_test_id("clear")
        for i in order:
            strokes = on_the_pad(pen_strokes([s.points for s in trace(images[i].numpy())]), rng)
            result = draw_one(pad, strokes)
            drawings.append({"index": int(i), "label": int(labels[i]), "strokes": len(strokes), **result})
            clear.click()
        pad.close()

    live = [t for d in drawings for t in d["live"]]
    several = sum(digit_count(t) > 1 for t in live)
    flickered = sum(any(digit_count(t) > 1 for t in d["live"]) for d in drawings)
    right = [d["final"] == str(d["label"]) for d in drawings]
    shown_ok = sum(d["shown"] == d["final"] for d in drawings)
    stats = summary([d["ms"] / 1e3 for d in drawings])
    strokes = np.bincount([d["strokes"] for d in drawings])
    rows = [
        [
            "digits drawn (strokes per digit: count)",
            f"{len(drawings)} ({', '.join(f'{k}: {n}' for k, n in enumerate(strokes) if n)})",
        ],
        ["live answers", len(live)],
        ["live answers showing two or more digits", f"{several} ({100 * several / max(len(live), 1):.1f}%)"],
        ["digits that showed a number of two or more digits while drawn", f"{flickered}/{len(drawings)}"],
        ["final answer right", f"{sum(right)}/{len(drawings)}"],
        ["final answer still shown a moment later", f"{shown_ok}/{len(drawings)}"],
        ["pen-up → final answer on screen, median", f"{stats['median_ms']:.0f} ms"],
        ["pen-up → final answer on screen, p99", f"{stats['p99_ms']:.0f} ms"],
    ]
    compared = None
    if args.compare:
        before = {d["index"]: d for d in json.loads(args.compare.read_text())["drawings"]}
        worse = [
            d["index"]
            for d in drawings
            if d["index"] in before
            and before[d["index"]]["final"] == str(d["label"])
            and d["final"] != str(d["label"])
        ]
        better = [
            d["index"]
            for d in drawings
            if d["index"] in before
            and before[d["index"]]["final"] != str(d["label"])
            and d["final"] == str(d["label"])
        ]
        compared = {"against": str(args.compare), "worse": worse, "better": better}
        rows.append(
            [f"final answers worse / better than in {args.compare.name}", f"{len(worse)} / {len(better)}"]
        )
    command = f"python -m bench.live_answers --digits {args.digits} --seed {args.seed}"
    command += f" --name {args.name}" if args.name != "live_answers" else ""
    command += f" --compare {args.compare}" if args.compare else ""
    write(
        args.name,
        {
            "drawings": drawings,
            "live_answers": len(live),
            "live_several_digits": several,
            "final_right": sum(right),
            "on_screen": stats,
            "compared": compared,
        },
        markdown_table(["real Chromium, the pad, single digits drawn", ""], rows),
        command,
    )


if __name__ == "__main__":
    main()
