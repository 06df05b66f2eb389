"""Digits as a visitor draws them: strokes of a uniform round brush on sketchpad-like canvases.

    canvas = render(points, Placement(...), style="white")      # -> PIL image
    sketch_set(images, labels, n=2000, seed=0)                   # MNIST digits re-drawn

An MNIST digit is turned into its centre line (skeletonised at 4x), then redrawn with a round
brush at a random position, size, rotation and brush width on a canvas in one of the styles a
drawing app or a scan produces. Used by the benchmarks (the sketch-style evaluation set), by the
tests (hand-made strokes), and by training: the number writer (numbers.py) draws with it, and
`train.py --path-weights` learns from its numbers and single digits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

# Canvas styles: how the same strokes reach the preprocessing, from the app and elsewhere.
STYLES = ("white", "transparent", "dark", "gray", "color", "paper")
DARK_BG = (11, 15, 25)  # Gradio's dark theme background


@dataclass(frozen=True)
class Placement:
    """Where and how big a digit is drawn on its canvas (pixels, degrees)."""

    canvas: tuple[int, int]  # (width, height)
    center: tuple[float, float]  # (x, y) of the digit's box centre
    height: float  # height of the digit's centre line
    rotation: float = 0.0
    brush: float = 20.0  # brush diameter


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float = 0.0, turn: float = 1.0):
    t = np.linspace(start, start + 2 * np.pi * turn, 48)
    return list(zip(cx + rx * np.sin(t), cy - ry * np.cos(t)))


# Hand-made centre lines of the ten digits, in a box about 0.6 wide and 1 tall (y down): clean
# drawn digits for the app's examples and the tests, independent of MNIST.
DIGIT_STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_ellipse(0.3, 0.5, 0.27, 0.5)],
    1: [[(0.42, 0.0), (0.26, 1.0)]],
    2: [
        [
            (0.05, 0.22),
            (0.15, 0.06),
            (0.32, 0.0),
            (0.5, 0.06),
            (0.56, 0.22),
            (0.48, 0.42),
            (0.0, 1.0),
            (0.62, 0.98),
        ]
    ],
    3: [
        [
            (0.05, 0.1),
            (0.28, 0.0),
            (0.52, 0.08),
            (0.54, 0.27),
            (0.25, 0.46),
            (0.52, 0.58),
            (0.58, 0.8),
            (0.38, 0.98),
            (0.02, 0.92),
        ]
    ],
    4: [[(0.38, 0.0), (0.0, 0.64), (0.62, 0.64)], [(0.46, 0.28), (0.44, 1.0)]],
    5: [
        [
            (0.58, 0.0),
            (0.12, 0.0),
            (0.06, 0.42),
            (0.35, 0.36),
            (0.58, 0.52),
            (0.6, 0.78),
            (0.38, 0.98),
            (0.0, 0.9),
        ]
    ],
    6: [
        [
            (0.52, 0.0),
            (0.22, 0.28),
            (0.05, 0.62),
            (0.1, 0.9),
            (0.32, 1.0),
            (0.54, 0.86),
            (0.52, 0.62),
            (0.3, 0.54),
            (0.08, 0.66),
        ]
    ],
    7: [[(0.0, 0.0), (0.62, 0.0), (0.2, 1.0)]],
    8: [_ellipse(0.3, 0.25, 0.21, 0.25), _ellipse(0.3, 0.74, 0.27, 0.26)],
    9: [_ellipse(0.3, 0.27, 0.26, 0.27, start=np.pi / 2), [(0.56, 0.27), (0.48, 1.0)]],
}


def draw_digit(digit: int, place: Placement, style: str = "white") -> Image.Image:
    """One of the hand-made digits drawn with the brush, placed and styled as asked."""
    return render(polyline_points(DIGIT_STROKES[digit], spacing=0.01), place, style)


def centerline(digit: np.ndarray) -> np.ndarray:
    """(K, 2) points (x, y) along the strokes of a 28x28 digit, in 28-pixel units."""
    from skimage.morphology import skeletonize  # a dev dependency, like all of training

    big = np.asarray(Image.fromarray(digit.astype(np.float32)).resize((112, 112), Image.Resampling.BILINEAR))
    mask = big > 0.45 * big.max()
    skeleton = skeletonize(mask)
    ys, xs = np.nonzero(skeleton)
    return np.stack([xs, ys], axis=1).astype(np.float32) / 4 + 0.125


def polyline_points(strokes: list[list[tuple[float, float]]], spacing: float = 0.05) -> np.ndarray:
    """(K, 2) points densely along hand-made polylines (any units)."""
    points = []
    for stroke in strokes:
        s = np.asarray(stroke, dtype=np.float32)
        for a, b in itertools.pairwise(s):
            n = max(2, int(np.linalg.norm(b - a) / spacing) + 1)
            points.append(a + (b - a) * np.linspace(0, 1, n)[:, None])
        if len(s) == 1:
            points.append(s)
    return np.concatenate(points)


def render(points: np.ndarray, place: Placement, style: str = "white", ink_rgb=(0, 0, 0)) -> Image.Image:
    """Draw the points with a round antialiased brush, placed as `place` says, in `style`."""
    return paint(coverage(points, place), style, ink_rgb, place)


def placed(points: np.ndarray, place: Placement, reference: np.ndarray | None = None) -> np.ndarray:
    """Points moved onto the canvas: the box of `reference` (default: the points themselves)
    centred on `place.center`, rotated, and scaled to `place.height` pixels tall."""
    ref = points if reference is None else reference
    p = points - (ref.min(0) + ref.max(0)) / 2  # centre the digit's box on 0
    extent = max(float(np.ptp(ref[:, 1])), 1e-3)
    angle = np.deg2rad(place.rotation)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    return p @ rot.T * (place.height / extent) + np.asarray(place.center, np.float32)


def placed_strokes(digit: int, place: Placement) -> list[np.ndarray]:
    """The hand-made strokes of `digit` as a pen would trace them on the canvas, each (K, 2)
    pixels, in the same place `draw_digit(digit, place)` paints them."""
    strokes = DIGIT_STROKES[digit]
    every = polyline_points(strokes, spacing=0.01)
    return [placed(polyline_points([s], spacing=0.01), place, reference=every) for s in strokes]


def number_layout(
    digits: str, canvas: tuple[int, int], height: float, **options
) -> list[tuple[int, Placement]]:
    """Where each digit of a number goes when written left to right, centred on the canvas;
    `options` are the rest of Placement (rotation, brush)."""
    advance = height * 0.9
    start = canvas[0] / 2 - advance * (len(digits) - 1) / 2
    return [
        (int(ch), Placement(canvas, (start + i * advance, canvas[1] / 2), height, **options))
        for i, ch in enumerate(digits)
    ]


def coverage(points: np.ndarray, place: Placement) -> np.ndarray:
    """(H, W) float in [0, 1]: how much of each canvas pixel the brush covered."""
    return brush_coverage(placed(points, place), place.canvas, place.brush)


def brush_coverage(p: np.ndarray, canvas: tuple[int, int], brush: float) -> np.ndarray:
    """(H, W) coverage of a round brush of diameter `brush` through points already in canvas
    pixels (x, y)."""
    w, h = canvas
    r = brush / 2
    # work in the digit's box only: the distance transform is the costly part
    x0, y0 = np.floor(p.min(0) - r - 2).astype(int)
    x1, y1 = np.ceil(p.max(0) + r + 2).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    coverage = np.zeros((h, w), np.float32)
    if x1 <= x0 or y1 <= y0:
        return coverage
    seeds = np.ones((y1 - y0, x1 - x0), bool)
    ij = np.round(p - [x0, y0]).astype(int)
    keep = (ij[:, 0] >= 0) & (ij[:, 0] < x1 - x0) & (ij[:, 1] >= 0) & (ij[:, 1] < y1 - y0)
    seeds[ij[keep, 1], ij[keep, 0]] = False
    distance = ndimage.distance_transform_edt(seeds)
    coverage[y0:y1, x0:x1] = np.clip(r + 0.5 - distance, 0, 1)
    return coverage


def paint(covered: np.ndarray, style: str, ink_rgb=(0, 0, 0), place: Placement | None = None) -> Image.Image:
    """(H, W) brush coverage in [0, 1] -> a canvas image in `style`."""
    coverage = covered
    c = coverage[:, :, None]
    ink = np.asarray(ink_rgb, np.float32)
    if style == "white":  # Gradio's sketchpad composite: opaque white canvas, RGBA
        rgb = 255 * (1 - c) + ink * c
        return _rgba(rgb, np.full(coverage.shape, 255, np.float32))
    if style == "transparent":  # a drawing layer: strokes on a transparent background
        return _rgba(np.broadcast_to(ink, c.shape[:2] + (3,)), 255 * coverage)
    if style == "dark":  # dark theme: light ink on a dark canvas
        rgb = np.asarray(DARK_BG, np.float32) * (1 - c) + 235 * c
        return Image.fromarray(rgb.astype(np.uint8), "RGB")
    if style == "gray":  # single-channel, white paper
        return Image.fromarray((255 * (1 - coverage)).astype(np.uint8), "L")
    if style == "color":  # coloured ink on an off-white canvas
        rgb = np.asarray((250, 248, 240), np.float32) * (1 - c) + np.asarray((30, 60, 200), np.float32) * c
        return Image.fromarray(rgb.astype(np.uint8), "RGB")
    if style == "paper":  # a photo of paper: uneven light, grey pencil, a little noise
        h, w = coverage.shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        light = 225 - 70 * (xx / w) * (0.5 + yy / h)  # brighter top-left, shadow bottom-right
        seed = int(place.center[0] * 7 + place.height) if place is not None else int(coverage.sum())
        noise = np.random.default_rng(seed).normal(0, 4, (h, w))
        pencil = light * 0.35
        gray = light * (1 - coverage) + pencil * coverage + noise
        return Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8), "L").convert("RGB")
    raise ValueError(f"unknown style {style!r}; choose from {STYLES}")


def _rgba(rgb: np.ndarray, alpha: np.ndarray) -> Image.Image:
    rgba = np.concatenate([rgb, alpha[:, :, None]], axis=2)
    return Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8), "RGBA")


def random_placement(rng: np.random.Generator, canvas: tuple[int, int] | None = None) -> Placement:
    """A digit somewhere on a canvas of 280-1024 px, 25-85% of its short side tall, rotated up
    to 15 degrees, with a brush 5-18% of its height (thin pen to fat marker)."""
    if canvas is None:
        side = int(rng.integers(280, 1025))
        aspect = float(rng.choice([1.0, 1.0, 0.75, 1.33, 1.6]))
        canvas = (side, max(200, int(side / aspect)))
    w, h = canvas
    height = float(rng.uniform(0.25, 0.85)) * min(w, h) * 0.8
    brush = max(3.0, height * float(rng.uniform(0.05, 0.18)))
    margin = height * 0.6 + brush
    cx = float(rng.uniform(min(margin, w / 2), max(w - margin, w / 2)))
    cy = float(rng.uniform(min(margin, h / 2), max(h - margin, h / 2)))
    return Placement(canvas, (cx, cy), height, float(rng.uniform(-15, 15)), brush)


def sketch_set(
    images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0, styles: tuple[str, ...] = STYLES
) -> Iterator[tuple[Image.Image, int, str]]:
    """Yield (canvas, label, style) for `n` digits drawn from `images` (uint8 (N, 28, 28)).

    Deterministic for a seed: the same canvases on every machine.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))[:n]
    for i in order:
        style = styles[int(rng.integers(len(styles)))]
        place = random_placement(rng)
        yield render(centerline(images[i] / 255.0), place, style), int(labels[i]), style
