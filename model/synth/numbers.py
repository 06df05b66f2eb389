"""The number writer: MNIST digits re-drawn side by side as one handwritten number.

    canvas, info = write_number(digit_images, rng, "white")              # digits that stand apart
    canvas, info = write_number(digit_images, rng, "white", "touching")  # one pair touches

One pen (brush) for the whole number, digits of slightly different sizes (+-15%) on a wavy
baseline (+-8% of the height), a shared slant plus a little wobble, gaps from slightly negative
(bounding boxes overlap) to a third of the digit height. Then, by condition:

    apart      no strokes of neighbours touch (the original benchmark, drawn exactly as before)
    touching   one pair of neighbours touches or overlaps, by 0-20% of the digit height
    joined     one pair is joined by a connecting stroke, as in running handwriting
    tucked     one pair is pushed as close as the strokes allow without touching, so the boxes
               overlap wherever the shapes let them (a 7's bar over the next digit, a leaning 4)
    tick, dash, dot, underline
               a stray mark near the digits, never touching them

`info` says what was drawn (the condition, the pair, the overlap or clearance, the mark). MIX is
the mix of conditions the number benchmark reads and `train.py --path-weights` learns from; the
benchmark writes from the test digits, training from held-out training digits.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from .sketches import STYLES, Placement, centerline, coverage, paint, random_placement, render

MARKS = ("tick", "dash", "dot", "underline")
CONDITIONS = ("apart", "touching", "joined", "tucked", *MARKS)
PAIRED = ("touching", "joined", "tucked")
MIX = ("apart",) * 10 + ("touching",) * 3 + ("joined",) + ("tucked",) * 2 + MARKS  # in turn
EDGE = 0.5  # coverage at a stroke's edge: where two strokes meet, they touch
TRACE = 0.05  # coverage of the faintest fringe that still counts as ink when checking for contact
# A tucked pair is drawn again (another pen, another pair) until the boxes overlap by 2% of the
# height (measured on 150 3-digit numbers: boxes overlap in 55% of first tries, and in 95% within
# 10 tries; the rest are pairs such as 0 and 0 that cannot overlap without touching).
TUCK_TRIES = 10


def write_number(
    digit_images: list[np.ndarray], rng: np.random.Generator, style: str, condition: str = "apart"
) -> tuple[Image.Image, dict]:
    """Render digits (uint8 28x28 each) left to right as one handwritten number, in `style`."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; choose from {CONDITIONS}")
    for _ in range(TUCK_TRIES if condition == "tucked" else 1):
        canvas, info = _write(digit_images, rng, style, condition)
        if condition != "tucked" or info["box_overlap"] > 0.02:
            break
    return canvas, info


def write_in_any_style(
    digit_images: list[np.ndarray], rng: np.random.Generator, condition: str = "apart"
) -> Image.Image:
    """A number as write_number draws it, in one of the sketch styles, chosen by `rng`; one digit
    as the sketch-style set draws one (anywhere on a canvas, of any size, a little turned), as a
    visitor draws one on the pad. For learning from numbers written as the benchmarks write them
    (train.py --path-weights)."""
    style = STYLES[int(rng.integers(len(STYLES)))]
    if len(digit_images) == 1:
        return render(centerline(digit_images[0] / 255.0), random_placement(rng), style)
    return write_number(digit_images, rng, style, condition)[0]


def _write(
    digit_images: list[np.ndarray], rng: np.random.Generator, style: str, condition: str
) -> tuple[Image.Image, dict]:
    # the draws for "apart" come in the same order as in the original benchmark, so its numbers
    # are the very same drawings as before
    height = float(rng.uniform(70, 200))
    brush = max(3.0, height * float(rng.uniform(0.06, 0.14)))
    slant = float(rng.uniform(-10, 10))
    margin = int(height * 0.6)
    canvas_h = int(height * 1.9)
    canvas_w = int(margin * 2 + len(digit_images) * height * 1.2)
    pair = int(rng.integers(1, len(digit_images))) if condition in PAIRED else -1
    info: dict = {"condition": condition}
    total = np.zeros((canvas_h, canvas_w), np.float32)
    boxes = []
    x = float(margin)
    for k, image in enumerate(digit_images):
        h = height * float(rng.uniform(0.85, 1.15))
        cy = canvas_h / 2 + height * float(rng.uniform(-0.08, 0.08))
        points = centerline(image / 255.0)
        angle = slant + float(rng.uniform(-4, 4))
        gap = height * float(rng.uniform(-0.08, 0.33))

        def place(cx: float, h=h, cy=cy, angle=angle, points=points) -> np.ndarray:
            nonlocal canvas_w, total, boxes
            while True:
                cover = coverage(points, Placement((canvas_w, canvas_h), (cx, cy), h, angle, brush))
                if not (cover[:, -1].any() or (cx > 0 and not cover.any())):
                    return cover
                # a wide digit nudged clear of its neighbour ran off the canvas (it was cut off, or
                # lost, and then the number could not be written): widen it, everything drawn so
                # far stays where it is, so numbers that fit are the very same drawings as before
                more = int(2 * height)
                canvas_w += more
                total = np.pad(total, ((0, 0), (0, more)))
                boxes = [(box, np.pad(c, ((0, 0), (0, more)))) for box, c in boxes]

        # place the digit just right of what is there, then nudge right until no stroke touches
        cover = place(0.0)
        cols = np.flatnonzero(cover.max(axis=0) > 0)
        half = (cols[-1] - cols[0]) / 2 if cols.size else h / 4
        for _ in range(40):
            cx = x + gap + half
            cover = place(cx)
            if not np.logical_and(_grow(cover > TRACE), total > TRACE).any():
                break
            gap += brush * 0.5
        if k == pair and condition == "touching":  # strokes meet, then overlap by up to 20%
            overlap = height * float(rng.uniform(0, 0.2))
            cover = place(cx + _shift_to(total > EDGE, cover > EDGE, -overlap))
            info.update(pair=k, overlap=round(overlap / height, 3))
        elif k == pair and condition == "tucked":  # as close as the strokes allow, never touching
            clearance = 3 + height * float(rng.uniform(0, 0.06))
            window = int(np.ceil(clearance))
            cover = place(cx + _shift_to(total > TRACE, cover > TRACE, clearance, window))
            if np.logical_and(_grow(cover > TRACE), total > TRACE).any():
                cover = place(cx)  # the shapes would touch at any closer spot: keep the plain one
            info.update(pair=k, clearance=round(clearance / height, 3))
        if k == pair and condition == "joined":
            total = np.maximum(total, _connector(boxes[-1][1], cover, rng, height, brush))
            info.update(pair=k)
        total = np.maximum(total, cover)
        boxes.append((_box(cover > TRACE), cover))
        cols = np.flatnonzero(cover.max(axis=0) > 0)
        x = float(cols[-1]) if cols.size else x + h * 0.6
    if pair > 0:
        (left_box, _), (right_box, _) = boxes[pair - 1], boxes[pair]
        info["box_overlap"] = round((left_box[2] - right_box[0]) / height, 3)
    if condition in MARKS:
        total = _add_mark(total, [b for b, _ in boxes], rng, height, brush, condition, info)
    used = np.flatnonzero(total.max(axis=0) > 0)
    right = min(total.shape[1], int(used[-1]) + margin) if used.size else total.shape[1]
    return paint(total[:, :right], style), info


def _grow(mask: np.ndarray, pixels: int = 2) -> np.ndarray:
    """Dilate a mask by a few pixels (strokes closer than this count as touching)."""
    grown = mask.copy()
    for axis in (0, 1):
        for shift in range(1, pixels + 1):
            grown |= np.roll(mask, shift, axis) | np.roll(mask, -shift, axis)
    return grown


def _shift_to(old: np.ndarray, new: np.ndarray, clearance: float, window: int = 0) -> float:
    """How far to move `new` right (negative: left) so that, row by row, the gap between the old
    ink's right edge and the new ink's left edge is at least `clearance` and just that somewhere
    (negative clearance: the strokes overlap by that much). With `window`, the old edge of a row
    is the furthest of the rows around it, so diagonal near-misses count too."""
    width = old.shape[1]
    right = np.where(old.any(axis=1), width - 1 - np.argmax(old[:, ::-1], axis=1), -width).astype(float)
    if window:
        right = ndimage.maximum_filter1d(right, 2 * window + 1)
    left = np.where(new.any(axis=1), np.argmax(new, axis=1), 2 * width).astype(float)
    gaps = left - right
    shared = (right > -width) & (left < 2 * width)
    return clearance - float(gaps[shared].min()) if shared.any() else 0.0


def _connector(
    before: np.ndarray, after: np.ndarray, rng: np.random.Generator, height: float, brush: float
) -> np.ndarray:
    """A connecting stroke from where one digit ends (towards its right) to where the next one
    starts (towards its left), sagging or arching a little, drawn with the same pen."""
    ya, xa = np.nonzero(before > EDGE)
    yb, xb = np.nonzero(after > EDGE)
    end = np.argmax(xa + float(rng.uniform(-0.7, 0.7)) * ya)  # the right, from top to bottom
    start = np.argmin(xb + float(rng.uniform(-0.7, 0.7)) * yb)  # the left, from top to bottom
    p0, p2 = np.array([xa[end], ya[end]], float), np.array([xb[start], yb[start]], float)
    p1 = (p0 + p2) / 2 + [0.0, height * float(rng.uniform(-0.15, 0.15))]
    t = np.linspace(0, 1, max(2, int(np.linalg.norm(p2 - p0)) + 2))[:, None]
    return _stroke((1 - t) ** 2 * p0 + 2 * t * (1 - t) * p1 + t**2 * p2, before.shape, brush)


def _stroke(points: np.ndarray, shape: tuple[int, int], brush: float) -> np.ndarray:
    """Coverage of points given in canvas pixels (x, y), drawn with a round brush, unscaled."""
    points = np.asarray(points, np.float32)
    centre = (points.min(0) + points.max(0)) / 2
    extent = max(float(np.ptp(points[:, 1])), 1e-3)  # coverage() scales by height / extent: 1
    return coverage(points, Placement(shape[::-1], tuple(centre), extent, 0.0, brush))


def _add_mark(
    total: np.ndarray,
    boxes: list[tuple[int, int, int, int]],
    rng: np.random.Generator,
    height: float,
    brush: float,
    kind: str,
    info: dict,
) -> np.ndarray:
    """The number with a stray mark of `kind` near its digits; room is added above and below."""
    pad = int(0.4 * height)
    total = np.pad(total, ((pad, pad), (0, 0)))
    boxes = [(left, top + pad, right, bottom + pad) for left, top, right, bottom in boxes]
    ink = total > TRACE
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if kind == "underline":
        length = (x1 - x0) * float(rng.uniform(0.8, 1.05))
        cx = (x0 + x1) / 2 + (x1 - x0) * float(rng.uniform(-0.1, 0.1))
        cy = y1 + brush / 2 + 3 + height * float(rng.uniform(0.05, 0.25))
        tilt, sag = np.deg2rad(float(rng.uniform(-3, 3))), height * float(rng.uniform(-0.04, 0.04))
        t = np.linspace(-0.5, 0.5, max(2, int(length)))
        points = np.stack([cx + t * length, cy + t * length * np.tan(tilt) + sag * (1 - 4 * t**2)], 1)
        mark = _stroke(points, total.shape, brush)
        if np.logical_and(_grow(mark > TRACE, 3), ink).any():  # a descender reaches down: go lower
            mark = _stroke(points + [0.0, 0.15 * height], total.shape, brush)
        info.update(mark=kind, length=round(length / height, 3))
        return np.maximum(total, mark)
    distance = ndimage.distance_transform_edt(~ink)
    for _ in range(200):
        cx = float(rng.uniform(x0 - 0.35 * height, x1 + 0.35 * height))
        cy = float(rng.uniform(y0 - 0.35 * height, y1 + 0.35 * height))
        if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes):
            continue  # inside a digit's box: part of that digit, not a stray mark
        mark = _mark_shape(kind, (cx, cy), rng, height, brush, total.shape)
        on = mark > TRACE
        near = float(distance[on].min()) if on.any() else np.inf
        if not np.logical_and(_grow(on, 3), ink).any() and near <= 0.35 * height:
            info.update(mark=kind, distance=round(near / height, 3))
            return np.maximum(total, mark)
    raise RuntimeError("no room for a stray mark near the digits")  # never seen; better loud


def _mark_shape(
    kind: str, centre: tuple[float, float], rng: np.random.Generator, height: float, brush: float, shape
) -> np.ndarray:
    """A tick (a short slanted stroke), a dash (short, nearly level) or a dot (a dab)."""
    if kind == "dot":
        return _stroke(np.array([centre]), shape, brush * float(rng.uniform(1.0, 1.8)))
    if kind == "tick":
        length, angle = height * float(rng.uniform(0.12, 0.3)), float(rng.uniform(30, 75))
        angle *= float(rng.choice([-1, 1]))
    else:
        length, angle = height * float(rng.uniform(0.15, 0.35)), float(rng.uniform(-10, 10))
    a = np.deg2rad(angle)
    t = np.linspace(-0.5, 0.5, max(2, int(length)))[:, None]
    return _stroke(np.asarray(centre) + t * length * np.array([np.cos(a), -np.sin(a)]), shape, brush)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a mask's pixels."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
