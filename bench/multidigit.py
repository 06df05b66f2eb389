"""Reading whole numbers: 2-6 MNIST test digits re-drawn side by side on one canvas.

    python -m bench.multidigit                      # writes bench/results/multidigit.{json,md}
    python -m bench.multidigit --per-length 500

Each number is written the way people write: one pen (brush) for the whole number, digits of
slightly different sizes (+-15%) on a wavy baseline (+-8% of the height), a shared slant plus a
little wobble, and gaps from slightly negative (bounding boxes overlap) to a third of the digit
height; strokes of neighbours never touch. Canvas styles as in the single-digit set.

Reported per length: numbers read exactly, digit-level accuracy (1 - edit distance / length),
how often the digit count is right; and the time to segment + classify a 4-digit drawing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import DEFAULT_DATA, markdown_table, summary, write
from harness.sketches import STYLES, Placement, centerline, coverage, paint
from model import load_classifier
from model.reading import read_drawing
from model.training.data import load_mnist


def write_number(digit_images: list[np.ndarray], rng: np.random.Generator, style: str):
    """Render digits left to right as one handwritten number; returns the canvas image."""
    height = float(rng.uniform(70, 200))
    brush = max(3.0, height * float(rng.uniform(0.06, 0.14)))
    slant = float(rng.uniform(-10, 10))
    margin = int(height * 0.6)
    canvas_h = int(height * 1.9)
    canvas_w = int(margin * 2 + len(digit_images) * height * 1.2)
    total = np.zeros((canvas_h, canvas_w), np.float32)
    x = float(margin)
    for image in digit_images:
        h = height * float(rng.uniform(0.85, 1.15))
        cy = canvas_h / 2 + height * float(rng.uniform(-0.08, 0.08))
        points = centerline(image / 255.0)
        angle = slant + float(rng.uniform(-4, 4))
        gap = height * float(rng.uniform(-0.08, 0.33))
        # place the digit just right of what is there, then nudge right until no stroke touches
        cover = coverage(points, Placement((canvas_w, canvas_h), (0.0, cy), h, angle, brush))
        cols = np.flatnonzero(cover.max(axis=0) > 0)
        half = (cols[-1] - cols[0]) / 2 if cols.size else h / 4
        for _ in range(40):
            place = Placement((canvas_w, canvas_h), (x + gap + half, cy), h, angle, brush)
            cover = coverage(points, place)
            touching = np.logical_and(_grow(cover > 0.05), total > 0.05).any()
            if not touching:
                break
            gap += brush * 0.5
        total = np.maximum(total, cover)
        cols = np.flatnonzero(cover.max(axis=0) > 0)
        x = float(cols[-1]) if cols.size else x + h * 0.6
    used = np.flatnonzero(total.max(axis=0) > 0)
    right = min(canvas_w, int(used[-1]) + margin) if used.size else canvas_w
    return paint(total[:, :right], style)


def _grow(mask: np.ndarray, pixels: int = 2) -> np.ndarray:
    """Dilate a mask by a few pixels (strokes closer than this count as touching)."""
    grown = mask.copy()
    for axis in (0, 1):
        for shift in range(1, pixels + 1):
            grown |= np.roll(mask, shift, axis) | np.roll(mask, -shift, axis)
    return grown


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    p.add_argument("--per-length", type=int, default=200, help="numbers per length (2 to 6 digits)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    clf = load_classifier(device="cpu")
    images, labels = load_mnist(args.data_dir, train=False)
    images, labels = images.numpy(), labels.numpy()
    rng = np.random.default_rng(args.seed)

    results, rows, four_digit_times = {}, [], []
    examples = []
    for length in range(2, 7):
        exact = digits_right = count_right = 0
        for _ in range(args.per_length):
            idx = rng.choice(len(images), length, replace=False)
            truth = "".join(str(labels[i]) for i in idx)
            style = STYLES[int(rng.integers(len(STYLES)))]
            canvas = write_number([images[i] for i in idx], rng, style)
            tic = time.perf_counter()
            number = read_drawing(canvas, clf).number
            if length == 4:
                four_digit_times.append(time.perf_counter() - tic)
            exact += number == truth
            count_right += len(number) == length
            digits_right += max(0, length - edit_distance(number, truth))
            if len(examples) < 12 and number != truth:
                examples.append({"truth": truth, "read": number, "style": style})
        n = args.per_length
        results[length] = {
            "numbers": n,
            "exact": exact / n,
            "digit_accuracy": digits_right / (n * length),
            "count_right": count_right / n,
        }
        rows.append(
            [
                length,
                n,
                f"{100 * exact / n:.1f}%",
                f"{100 * digits_right / (n * length):.1f}%",
                f"{100 * count_right / n:.1f}%",
            ]
        )

    # latency of a 4-digit drawing on the app's own pad style, measured apart from the rest
    pad = [write_number([images[i] for i in rng.choice(len(images), 4)], rng, "white") for _ in range(20)]
    pad = [np.asarray(image.convert("L")) for image in pad]  # as the app receives it
    for image in pad[:3]:
        read_drawing(image, clf)
    times = []
    for k in range(300):
        tic = time.perf_counter()
        read_drawing(pad[k % len(pad)], clf)
        times.append(time.perf_counter() - tic)
    latency = summary(times)

    table = (
        markdown_table(
            ["digits", "numbers", "read exactly", "digit-level accuracy", "digit count right"], rows
        )
        + f"\n\nSegmentation + classification of a 4-digit drawing (8-bit grey, as the app receives it): "
        f"median {latency['median_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms."
    )
    write(
        "multidigit",
        {"per_length": results, "latency_4_digits": latency, "examples_wrong": examples, "seed": args.seed},
        table,
        f"python -m bench.multidigit --per-length {args.per_length}",
    )


if __name__ == "__main__":
    main()
