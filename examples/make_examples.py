"""Regenerate the app's example images from the hand-made strokes in model/synth/sketches.py.

    python -m examples.make_examples

drawn-*.png look like the pad after drawing (white canvas, dark marker); pad.json holds the same
numbers as pen strokes, which the pad replays when an example is clicked; photo-*.png look like
phone photos of paper (uneven light, grey pencil) for the upload tab. No MNIST data is used.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from model.synth.sketches import DIGIT_STROKES, number_layout, placed_strokes, polyline_points, render
from ui.pad import CANVAS  # the app's pad

HERE = Path(__file__).resolve().parent


def number(digits: str, canvas=CANVAS, height=170.0, brush=18.0, style="white", slant=0.0) -> Image.Image:
    """Draw a number left to right, centred on the canvas, one digit after another."""
    layers = []
    for digit, place in number_layout(digits, canvas, height, rotation=slant, brush=brush):
        points = polyline_points(DIGIT_STROKES[digit], spacing=0.01)
        layers.append(np.asarray(render(points, place, "gray"), dtype=np.float32))
    ink = np.clip(np.sum([255 - layer for layer in layers], axis=0), 0, 255) / 255
    if style == "white":
        rgb = np.repeat((255 * (1 - ink) + 17 * ink)[:, :, None], 3, axis=2)
        return Image.fromarray(rgb.astype(np.uint8)).convert("RGBA")
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 230 - 80 * (xx / w) * (0.4 + yy / h)  # a shadow across the page
    noise = np.random.default_rng(len(digits)).normal(0, 3, (h, w))
    gray = light * (1 - ink) + light * 0.3 * ink + noise
    return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)).convert("RGB")


def strokes(digits: str, canvas=CANVAS, height=170.0, slant=0.0, **_) -> list[list[list[float]]]:
    """The pen strokes of a number on the pad's canvas, as the pad replays them: [[x, y], ...] each,
    one point every few pixels."""
    out = []
    for digit, place in number_layout(digits, canvas, height, rotation=slant):
        for stroke in placed_strokes(digit, place):
            kept = stroke[::3] if len(stroke) > 3 else stroke
            kept = np.vstack([kept, stroke[-1:]]) if len(stroke) > 3 else kept
            out.append(np.round(kept, 1).tolist())
    return out


def main() -> None:
    drawn = {"7": {}, "3": {"slant": 8}, "4": {"brush": 14}, "2026": {"height": 140}, "42": {}}
    for text, options in drawn.items():
        number(text, **options).save(HERE / f"drawn-{text}.png", optimize=True)
    pad = [[text, strokes(text, **options)] for text, options in drawn.items()]
    (HERE / "pad.json").write_text(json.dumps(pad, separators=(",", ":")) + "\n")
    number("5", canvas=(480, 640), height=330, brush=22, style="paper").save(HERE / "photo-5.jpg", quality=85)
    number("1984", canvas=(900, 400), height=180, brush=12, style="paper", slant=-4).save(
        HERE / "photo-1984.jpg", quality=85
    )
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.*g")) + ["pad.json"]))


if __name__ == "__main__":
    main()
