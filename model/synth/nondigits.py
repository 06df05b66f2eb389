"""Drawings that are not digits: letters, symbols and doodles as a visitor's pen strokes.

    for d in drawings("tune", per_kind=300):   # Drawing: kind, item, strokes in canvas pixels, ...
        d.kind, d.item, d.style                # "doodles", "smiley", "pad" (or an upload style)

A visitor testing a digit reader draws their initials, a smiley, a heart, a star or a scribble.
Each shape here is hand-made centre lines (polylines and parametric curves, y down, about a unit
tall), varied per drawing (slant, aspect, rotation, a wobbling hand, stroke order and direction)
and placed on a canvas: the pad's own (640x320, its 12 px round brush, as ui/pad.py) or an upload
in one of the sketch-style canvas styles, with a brush 5-18% of the shape's height. `render(d)`
paints the strokes with model/synth/sketches.py's round brush, the one the sketch-style digits
are drawn with (the verdict's thresholds and bench/nondigits.py read them so).

Two splits, `tune` (to choose thresholds on) and `test` (to report), drawn from different seeds
AND different sources: every letter, symbol and doodle has two hand-designed variants, "font A"
(tune) and "font B" (test), built differently (an H in three strokes or two, a star as a
pentagram or its outline, a house as a box and roof or the one-stroke "house of Nikolaus").

Letters: only those that no one writes as a digit, and that do not look like a digit written
sloppily. Left out, with the digit they pass for:
    O o Q D         0 (a D or Q is a 0 with a stroke; C c U u are an unclosed 0 as well)
    I l i J j       1 (a J or j is a 1 with a hook; f and t-like crosses stay out as f)
    Z z             2
    S s             5
    B               8 (or 13)
    b G             6
    g q a y         9 (a handwritten single-storey a is a 0 or 9 with a tail; y a 4 or 9)
    T               7
    P p d           a mirrored 9 or 6 (children write them so)
    Y               a 4 without its bar
    C c U u v f     debatable: an open 0, a 4 or 7 without a stroke, a crossed 1
Kept: A E F H K L M N R V W X (capitals) and e h k m n r t w x (lower case).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .sketches import brush_coverage, paint, polyline_points

SPLITS = ("tune", "test")
SEEDS = {"tune": 1101, "test": 2202}  # different random streams for the two splits
KINDS = ("letters", "symbols", "doodles")
EXCLUDED_LETTERS = frozenset("OoQDIliJjZzSsBbGgqayTPpdYCcUuvf")
# The pad's facts (ui/pad.py's CANVAS and BRUSH; model/ cannot import ui/, a test checks they agree)
PAD_CANVAS = (640, 320)
PAD_BRUSH = 12.0
# Upload canvas styles of the sketch-style digits (model/synth/sketches.py's STYLES; a test checks)
UPLOAD_STYLES = ("white", "transparent", "dark", "gray", "color", "paper")
PAD_SHARE = 0.5  # of the drawings made on the pad; the rest are uploads

Shape = list[np.ndarray]  # strokes, each (K, 2) x, y in the shape's own units (y down)
Maker = Callable[[np.random.Generator], Shape]  # a shape that may use randomness (a scribble)


@dataclass(frozen=True)
class Drawing:
    """One non-digit drawing, as strokes placed on a canvas: what a pad or a pen would trace."""

    kind: str  # "letters", "symbols" or "doodles"
    item: str  # "A", "#", "smiley", ...
    split: str
    index: int  # its place in the split's sequence of this kind
    strokes: tuple[np.ndarray, ...]  # each (K, 2) float32 x, y in canvas pixels, in pen order
    canvas: tuple[int, int]  # (width, height)
    brush: float  # round brush diameter, pixels
    style: str  # "pad", or one of UPLOAD_STYLES


# ---- building blocks, in a shape's own units ----------------------------------------------
def line(*points: tuple[float, float]) -> np.ndarray:
    return np.asarray(points, np.float64)


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> np.ndarray:
    """Points along an ellipse from angle a0 to a1 (degrees; with y down, increasing turns
    clockwise on screen)."""
    t = np.deg2rad(np.linspace(a0, a1, max(8, int(abs(a1 - a0) / 8))))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def circle(cx: float, cy: float, r: float, start: float = -90.0) -> np.ndarray:
    return arc(cx, cy, r, r, start, start + 360)


def smooth(*points: tuple[float, float], per: int = 8) -> np.ndarray:
    """A Catmull-Rom curve through the points: a hand's round stroke."""
    p = np.asarray(points, np.float64)
    if len(p) < 3:
        return p
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0, 1, per, endpoint=False)[:, None]
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1 : i + 3]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-1:])
    return np.vstack(out)


def join(*parts: np.ndarray) -> np.ndarray:
    """One stroke through several pieces, in order (the pen does not lift)."""
    return np.vstack(parts)


def dot(x: float, y: float) -> np.ndarray:
    return np.asarray([[x, y]], np.float64)


def arrow_head(tip: np.ndarray, behind: np.ndarray, size: float, closed: bool) -> np.ndarray:
    """The two barbs of an arrow at `tip`, coming from `behind`: open (a V) or a closed triangle."""
    d = (tip - behind) / max(float(np.hypot(*(tip - behind))), 1e-9)
    n = np.array([-d[1], d[0]])
    a, b = tip - d * size + n * size * 0.6, tip - d * size - n * size * 0.6
    return np.vstack([a, tip, b, a]) if closed else np.vstack([a, tip, b])


# ---- letters: font A (tune) and font B (test) -----------------------------------------------
# Capitals span y 0..1; lower case has its x-height at 0.45..1 and ascenders from 0.
LETTERS_A: dict[str, Shape] = {
    "A": [line((0, 1), (0.35, 0), (0.7, 1)), line((0.15, 0.6), (0.55, 0.6))],
    "E": [line((0.55, 0), (0, 0), (0, 1), (0.55, 1)), line((0, 0.5), (0.45, 0.5))],
    "F": [line((0.55, 0), (0, 0), (0, 1)), line((0, 0.48), (0.42, 0.48))],
    "H": [line((0, 0), (0, 1)), line((0.6, 0), (0.6, 1)), line((0, 0.5), (0.6, 0.5))],
    "K": [line((0, 0), (0, 1)), line((0.55, 0), (0, 0.58)), line((0.18, 0.4), (0.6, 1))],
    "L": [line((0, 0), (0, 1), (0.5, 1))],
    "M": [line((0, 1), (0, 0), (0.35, 0.6), (0.7, 0), (0.7, 1))],
    "N": [line((0, 1), (0, 0), (0.6, 1), (0.6, 0))],
    "R": [
        join(line((0, 1), (0, 0), (0.3, 0)), arc(0.3, 0.25, 0.25, 0.25, -90, 90), line((0, 0.5))),
        line((0.2, 0.5), (0.6, 1)),
    ],
    "V": [line((0, 0), (0.33, 1), (0.66, 0))],
    "W": [line((0, 0), (0.2, 1), (0.42, 0.3), (0.64, 1), (0.84, 0))],
    "X": [line((0, 0), (0.6, 1)), line((0.6, 0), (0, 1))],
    "e": [join(line((0.05, 0.72), (0.5, 0.72)), arc(0.28, 0.72, 0.23, 0.27, 0, -300))],
    "h": [line((0, 0), (0, 1)), join(arc(0.225, 0.72, 0.225, 0.25, 180, 360), line((0.45, 1)))],
    "k": [line((0, 0), (0, 1)), line((0.4, 0.45), (0.02, 0.75), (0.42, 1))],
    "m": [
        line((0, 0.45), (0, 1)),
        join(arc(0.15, 0.72, 0.15, 0.25, 180, 360), line((0.3, 1))),
        join(arc(0.45, 0.72, 0.15, 0.25, 180, 360), line((0.6, 1))),
    ],
    "n": [line((0, 0.45), (0, 1)), join(arc(0.22, 0.72, 0.22, 0.25, 180, 360), line((0.44, 1)))],
    "r": [line((0, 0.45), (0, 1)), arc(0.22, 0.76, 0.22, 0.28, 180, 290)],
    "t": [line((0.15, 0.05), (0.15, 0.9), (0.22, 1), (0.4, 0.95)), line((0, 0.42), (0.38, 0.42))],
    "w": [line((0, 0.45), (0.15, 1), (0.3, 0.6), (0.45, 1), (0.6, 0.45))],
    "x": [line((0, 0.45), (0.45, 1)), line((0.45, 0.45), (0, 1))],
}
LETTERS_B: dict[str, Shape] = {
    "A": [
        join(line((0.03, 1)), arc(0.33, 0.38, 0.3, 0.38, 180, 360), line((0.63, 1))),
        line((0.02, 0.66), (0.66, 0.64)),
    ],
    "E": [line((0.58, 0.02), (0.02, 0), (0.04, 0.5), (0.42, 0.5)), line((0.04, 0.5), (0.02, 1), (0.6, 0.98))],
    "F": [line((0.02, 1), (0, 0), (0.62, 0.03)), line((0, 0.44), (0.4, 0.42))],
    "H": [line((0, 0), (0, 1), (0, 0.44), (0.6, 0.44)), line((0.62, 0), (0.6, 1))],
    "K": [line((0, 0), (0, 1)), line((0.55, 0), (0.02, 0.5), (0.58, 1))],
    "L": [line((0.04, 0), (0, 1), (0.65, 0.96))],
    "M": [line((0, 1), (0.15, 0), (0.4, 0.75), (0.65, 0), (0.8, 1))],
    "N": [line((0, 1), (0, 0)), line((0, 0), (0.62, 1)), line((0.62, 1.02), (0.6, 0))],
    "R": [
        line((0, 0), (0, 1)),
        join(smooth((0, 0.02), (0.4, 0), (0.55, 0.2), (0.4, 0.42), (0.02, 0.45)), line((0.58, 1))),
    ],
    "V": [line((0, 0), (0.25, 1), (0.7, -0.05))],
    "W": [line((0, 0), (0.15, 1), (0.35, 0.1), (0.55, 1), (0.7, 0))],
    "X": [smooth((0, 0.05), (0.3, 0.45), (0.65, 1)), smooth((0.62, 0), (0.35, 0.5), (0.03, 0.95))],
    "e": [
        smooth(
            (0, 0.78),
            (0.3, 0.7),
            (0.42, 0.55),
            (0.3, 0.45),
            (0.12, 0.52),
            (0.02, 0.75),
            (0.12, 0.95),
            (0.32, 1),
            (0.48, 0.9),
        )
    ],
    "h": [
        join(
            line((0, 0), (0, 1), (0, 0.72)),
            smooth((0, 0.72), (0.15, 0.5), (0.32, 0.5), (0.42, 0.62), (0.44, 1)),
        )
    ],
    "k": [
        line((0, 0), (0, 1)),
        smooth((0, 0.75), (0.25, 0.5), (0.38, 0.55), (0.3, 0.7), (0.05, 0.75), (0.25, 0.82), (0.45, 1)),
    ],
    "m": [
        join(
            line((0, 0.45), (0, 1), (0, 0.7)),
            smooth((0, 0.7), (0.12, 0.48), (0.26, 0.5), (0.3, 0.7), (0.3, 1)),
            smooth((0.3, 0.72), (0.42, 0.48), (0.56, 0.5), (0.6, 0.7), (0.62, 1)),
        )
    ],
    "n": [
        join(
            line((0, 0.45), (0, 1), (0, 0.7)),
            smooth((0, 0.7), (0.15, 0.48), (0.36, 0.5), (0.42, 0.7), (0.44, 1)),
        )
    ],
    "r": [line((0, 0.45), (0, 1), (0.02, 0.65), (0.18, 0.48), (0.38, 0.48))],
    "t": [line((0.18, 0.1), (0.18, 1)), line((0, 0.38), (0.42, 0.38))],
    "w": [smooth((0, 0.45), (0.08, 0.95), (0.2, 1), (0.3, 0.7), (0.4, 1), (0.52, 0.95), (0.6, 0.45))],
    "x": [line((0.05, 0.45), (0.45, 1)), line((0.55, 0.5), (0, 0.95))],
}


# ---- symbols --------------------------------------------------------------------------------
def _lemniscate() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 80)
    d = 1 + np.sin(t) ** 2
    return np.stack([0.5 + 0.5 * np.cos(t) / d, 0.5 + 0.5 * np.sin(t) * np.cos(t) / d], axis=1)


def _spokes(n: int, start: float, through: bool) -> Shape:
    """A star of lines: n lines through the centre (`through`) or n spokes out from it."""
    strokes = []
    for k in range(n):
        a = np.deg2rad(start + k * (180 if through else 360) / n)
        end = np.array([0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)])
        strokes.append(np.vstack([1 - end if through else [0.5, 0.5], end]))
    return strokes


SYMBOLS_A: dict[str, Shape] = {
    "#": [
        line((0.3, 0), (0.2, 1)),
        line((0.7, 0), (0.6, 1)),
        line((0, 0.33), (0.95, 0.33)),
        line((0, 0.67), (0.95, 0.67)),
    ],
    "@": [
        circle(0.5, 0.5, 0.18, start=0),
        join(line((0.68, 0.32), (0.68, 0.6), (0.8, 0.68), (0.92, 0.6)), arc(0.5, 0.5, 0.48, 0.48, -10, -320)),
    ],
    "&": [
        smooth(
            (0.65, 1),
            (0.2, 0.45),
            (0.1, 0.25),
            (0.25, 0.02),
            (0.42, 0.12),
            (0.4, 0.32),
            (0.05, 0.65),
            (0.08, 0.92),
            (0.3, 1),
            (0.5, 0.88),
            (0.68, 0.6),
        )
    ],
    "%": [circle(0.2, 0.2, 0.15), line((0.85, 0), (0.15, 1)), circle(0.8, 0.8, 0.15)],
    "?": [
        smooth(
            (0.1, 0.25),
            (0.2, 0.06),
            (0.45, 0),
            (0.68, 0.1),
            (0.7, 0.3),
            (0.5, 0.48),
            (0.42, 0.6),
            (0.42, 0.75),
        ),
        dot(0.42, 0.97),
    ],
    "*": _spokes(3, 90, through=True),
    "+": [line((0.5, 0), (0.5, 1)), line((0, 0.5), (1, 0.5))],
    "=": [line((0, 0.3), (1, 0.3)), line((0, 0.7), (1, 0.7))],
    "×": [line((0, 0), (1, 1)), line((1, 0), (0, 1))],
    "÷": [dot(0.5, 0.15), line((0, 0.5), (1, 0.5)), dot(0.5, 0.85)],
    "~": [smooth((0, 0.6), (0.25, 0.35), (0.5, 0.5), (0.75, 0.65), (1, 0.4))],
    "∞": [_lemniscate()],
    "π": [
        line((0, 0.15), (0.3, 0), (1, 0.05)),
        line((0.3, 0.05), (0.25, 1)),
        line((0.7, 0.05), (0.75, 0.9), (0.85, 1)),
    ],
    "√": [line((0, 0.6), (0.12, 0.55), (0.3, 1), (0.55, 0), (1, 0))],
    "€": [arc(0.55, 0.5, 0.45, 0.5, -40, -320), line((0, 0.42), (0.6, 0.42)), line((0, 0.6), (0.55, 0.6))],
}
SYMBOLS_B: dict[str, Shape] = {
    "#": [
        line((0.3, 0), (0.3, 1)),
        line((0.65, 0), (0.65, 1)),
        line((0, 0.38), (0.95, 0.3)),
        line((0, 0.72), (0.95, 0.64)),
    ],
    "@": [
        join(
            arc(0.48, 0.52, 0.15, 0.2, 0, 360),
            line((0.63, 0.3), (0.64, 0.68), (0.78, 0.72)),
            smooth(
                (0.78, 0.72),
                (0.95, 0.45),
                (0.85, 0.12),
                (0.5, 0.0),
                (0.1, 0.15),
                (0.0, 0.55),
                (0.2, 0.9),
                (0.55, 1),
                (0.8, 0.9),
            ),
        )
    ],
    "&": [
        smooth(
            (0.7, 0.55),
            (0.45, 0.95),
            (0.2, 1),
            (0.02, 0.82),
            (0.1, 0.6),
            (0.4, 0.4),
            (0.45, 0.15),
            (0.3, 0.0),
            (0.15, 0.1),
            (0.2, 0.35),
            (0.75, 1.0),
        )
    ],
    "%": [
        arc(0.15, 0.15, 0.12, 0.15, 0, 360),
        line((0.7, 0.05), (0.2, 0.98)),
        arc(0.78, 0.85, 0.14, 0.13, 90, 450),
    ],
    "?": [line((0.05, 0.2), (0.3, 0), (0.6, 0), (0.65, 0.3), (0.35, 0.5), (0.35, 0.72)), dot(0.35, 0.95)],
    "*": _spokes(5, -90, through=False),
    "+": [line((0.1, 0.4), (0.9, 0.42)), line((0.48, 0.0), (0.52, 0.95))],
    "=": [line((0.1, 0.35), (0.85, 0.32)), line((0, 0.65), (0.95, 0.68))],
    "×": [line((0.05, 0.1), (0.9, 0.95)), line((0.85, 0.0), (0.15, 0.9))],
    "÷": [circle(0.5, 0.12, 0.06), line((0.05, 0.5), (0.95, 0.48)), circle(0.5, 0.88, 0.06)],
    "~": [
        smooth((0, 0.55), (0.18, 0.35), (0.36, 0.55), (0.54, 0.72), (0.72, 0.55), (0.9, 0.35), (1.08, 0.5))
    ],
    "∞": [circle(0.25, 0.5, 0.25, start=0), circle(0.75, 0.5, 0.25, start=180)],
    "π": [
        smooth((0, 0.2), (0.2, 0.05), (0.6, 0.08), (1, 0)),
        smooth((0.32, 0.08), (0.3, 0.6), (0.15, 1)),
        smooth((0.68, 0.08), (0.66, 0.8), (0.78, 1), (0.92, 0.9)),
    ],
    "√": [line((0.05, 0.55), (0.3, 1), (0.5, 0.02), (1.05, 0))],
    "€": [
        smooth((0.9, 0.1), (0.6, 0), (0.3, 0.2), (0.22, 0.5), (0.3, 0.82), (0.6, 1), (0.9, 0.9)),
        line((0, 0.4), (0.62, 0.4)),
        line((0, 0.6), (0.62, 0.6)),
    ],
}


# ---- doodles --------------------------------------------------------------------------------
def _pentagram() -> np.ndarray:
    a = np.deg2rad(-90 + 144 * np.arange(6))
    return np.stack([0.5 + 0.5 * np.cos(a), 0.5 + 0.5 * np.sin(a)], axis=1)


def _star_outline() -> np.ndarray:
    a = np.deg2rad(-90 + 36 * np.arange(11))
    r = np.where(np.arange(11) % 2 == 0, 0.5, 0.21)
    return np.stack([0.5 + r * np.cos(a), 0.5 + r * np.sin(a)], axis=1)


def _spiral(turns: float) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi * turns, int(40 * turns))
    r = 0.5 * t / t[-1]
    return np.stack([0.5 + r * np.cos(t), 0.5 + r * np.sin(t)], axis=1)


def _cycloid(loops: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi * loops, 50 * loops)
    return np.stack([0.12 * t + 0.25 * np.sin(t), 0.5 - 0.3 * np.cos(t)], axis=1)


def _scribble_round(rng: np.random.Generator) -> Shape:
    n = int(rng.integers(9, 15))
    return [smooth(*map(tuple, rng.uniform(0, 1, (n, 2))), per=10)]


def _scribble_hatch(rng: np.random.Generator) -> Shape:
    """A scratch-out: the pen goes back and forth, down the box."""
    n = int(rng.integers(6, 11))
    y = np.sort(rng.uniform(0, 1, n))
    x = np.where(np.arange(n) % 2 == 0, rng.uniform(0, 0.2, n), rng.uniform(0.8, 1, n))
    return [np.stack([x, y], axis=1)]


def _word(font: dict[str, Shape], words: tuple[str, ...]) -> Maker:
    def make(rng: np.random.Generator) -> Shape:
        strokes, x = [], 0.0
        for ch in words[int(rng.integers(len(words)))]:
            shape = font[ch]
            left = min(float(s[:, 0].min()) for s in shape)
            right = max(float(s[:, 0].max()) for s in shape)
            strokes += [s + [x - left, 0] for s in shape]
            x += right - left + 0.18
        return strokes

    return make


def _tick_box(tick: np.ndarray) -> Shape:
    return [line((0, 0.1), (0.8, 0.1), (0.8, 0.9), (0, 0.9), (0, 0.1)), tick]


# Short words of kept letters only, each split's in its own font
WORDS = {"tune": ("hen", "mew", "HEX", "Ken"), "test": ("ten", "new", "MAN", "ELK")}
DOODLES_A: dict[str, Shape | Maker] = {
    "smiley": [circle(0.5, 0.5, 0.5), dot(0.33, 0.35), dot(0.67, 0.35), arc(0.5, 0.55, 0.27, 0.2, 20, 160)],
    "heart": [
        join(
            smooth(
                (0.5, 0.28), (0.42, 0.08), (0.22, 0.02), (0.03, 0.18), (0.05, 0.45), (0.25, 0.72), (0.5, 1)
            ),
            smooth(
                (0.5, 1), (0.75, 0.72), (0.95, 0.45), (0.97, 0.18), (0.78, 0.02), (0.58, 0.08), (0.5, 0.28)
            ),
        )
    ],
    "star": [_pentagram()],
    "house": [
        line((0.1, 0.45), (0.1, 1), (0.9, 1), (0.9, 0.45), (0.1, 0.45)),
        line((0.02, 0.5), (0.5, 0), (0.98, 0.5)),
    ],
    "spiral": [_spiral(3)],
    "zigzag": [np.stack([np.linspace(0, 2, 11), np.tile([0.6, 0.0], 6)[:11]], axis=1)],
    "wave": [
        np.stack(
            [np.linspace(0, 2, 60), 0.25 - 0.25 * np.sin(np.linspace(0, 4 * np.pi, 60))],
            axis=1,
        )
    ],
    "arrow": [
        line((0, 0.5), (1, 0.5)),
        arrow_head(np.array([1, 0.5]), np.array([0, 0.5]), 0.3, closed=False),
    ],
    "scribble": _scribble_round,
    "tick box": _tick_box(line((0.15, 0.5), (0.35, 0.75), (0.7, 0.2))),
    "word": _word(LETTERS_A, WORDS["tune"]),
}
_CURVE = arc(0.5, 1, 0.5, 0.8, 180, 330)
DOODLES_B: dict[str, Shape | Maker] = {
    "smiley": [
        arc(0.45, 0.5, 0.45, 0.5, 200, 560),
        circle(0.3, 0.35, 0.06),
        circle(0.6, 0.35, 0.06),
        join(arc(0.45, 0.6, 0.25, 0.18, 0, 180), line((0.7, 0.6))),
    ],
    "heart": [
        smooth((0.5, 0.3), (0.38, 0.06), (0.15, 0.05), (0.0, 0.3), (0.1, 0.6), (0.5, 1)),
        smooth((0.5, 0.3), (0.62, 0.06), (0.85, 0.05), (1.0, 0.3), (0.9, 0.6), (0.5, 1)),
    ],
    "star": [_star_outline()],
    "house": [
        line(
            (0.1, 1),
            (0.1, 0.45),
            (0.9, 0.45),
            (0.1, 1),
            (0.9, 1),
            (0.9, 0.45),
            (0.5, 0.05),
            (0.1, 0.45),
            (0.9, 1),
        )
    ],
    "spiral": [
        line(
            (0, 0),
            (1, 0),
            (1, 1),
            (0.1, 1),
            (0.1, 0.15),
            (0.85, 0.15),
            (0.85, 0.85),
            (0.25, 0.85),
            (0.25, 0.3),
            (0.7, 0.3),
            (0.7, 0.7),
            (0.4, 0.7),
            (0.4, 0.45),
            (0.55, 0.45),
        )
    ],
    "zigzag": [np.stack([np.tile([0.0, 0.6], 5)[:9], np.linspace(0, 1.6, 9)], axis=1)],
    "wave": [_cycloid(4)],
    "arrow": [_CURVE, arrow_head(_CURVE[-1], _CURVE[-4], 0.25, closed=True)],
    "scribble": _scribble_hatch,
    "tick box": [
        smooth((0.02, 0.15), (0.05, 0.95), (0.8, 0.98), (0.82, 0.2), (0.02, 0.15), per=4),
        line((0.12, 0.5), (0.38, 0.88), (1.1, -0.2)),
    ],
    "word": _word(LETTERS_B, WORDS["test"]),
}
FONTS: dict[str, dict[str, dict[str, Shape | Maker]]] = {
    "tune": {"letters": LETTERS_A, "symbols": SYMBOLS_A, "doodles": DOODLES_A},
    "test": {"letters": LETTERS_B, "symbols": SYMBOLS_B, "doodles": DOODLES_B},
}


# ---- drawings -------------------------------------------------------------------------------
def drawings(split: str, per_kind: int, seed: int | None = None) -> Iterator[Drawing]:
    """`per_kind` drawings of each kind of the split, its items in turn; drawing i of a kind
    depends only on (seed, kind, i), so a longer run begins with a shorter one's drawings."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    base = SEEDS[split] if seed is None else seed
    for k, kind in enumerate(KINDS):
        items = list(FONTS[split][kind].items())
        for i in range(per_kind):
            name, shape = items[i % len(items)]
            rng = np.random.default_rng([base, k, i])
            yield draw(kind, name, shape, split, i, rng)


def draw(
    kind: str, item: str, shape: Shape | Maker, split: str, index: int, rng: np.random.Generator
) -> Drawing:
    """One drawing of a shape: varied as a hand varies it, and placed on a pad or an upload."""
    strokes = vary(shape(rng) if callable(shape) else shape, rng)
    if rng.random() < PAD_SHARE:
        canvas, brush, style = PAD_CANVAS, PAD_BRUSH, "pad"
        size = rng.uniform(80, 280)
    else:
        side = int(rng.integers(280, 1025))
        aspect = float(rng.choice([1.0, 1.0, 0.75, 1.33, 1.6]))
        canvas = (side, max(200, int(side / aspect)))
        size = rng.uniform(0.25, 0.85) * min(canvas) * 0.8
        brush = max(3.0, size * rng.uniform(0.05, 0.18))
        style = UPLOAD_STYLES[int(rng.integers(len(UPLOAD_STYLES)))]
    placed = place(strokes, canvas, size, brush, rng, by_height=item == "word")
    return Drawing(kind, item, split, index, tuple(placed), canvas, float(brush), style)


def render(d: Drawing) -> Image.Image:
    """A drawing's strokes painted with the round brush, in its canvas style (the pad's: black
    marker on white, as the pad exports it)."""
    points = polyline_points([s.tolist() for s in d.strokes], spacing=0.5)
    covered = brush_coverage(points, d.canvas, d.brush)
    return paint(covered, "white" if d.style == "pad" else d.style)


def vary(shape: Shape, rng: np.random.Generator) -> Shape:
    """The shape as one hand draws it: slanted, wider or narrower, turned a little, each stroke
    wobbling; strokes in another order or direction now and then."""
    slant = rng.uniform(-0.3, 0.3)  # top leans right (+) or left
    aspect = np.exp(rng.uniform(np.log(0.75), np.log(1.3)))
    angle = np.deg2rad(rng.uniform(-12, 12))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    every = np.vstack(shape)
    centre = (every.min(0) + every.max(0)) / 2
    extent = float(max(np.ptp(every[:, 1]), np.ptp(every[:, 0]), 1e-3))
    wobble = rng.uniform(0.004, 0.018) * extent
    out = []
    for stroke in shape:
        p = _dense(stroke, 0.02 * extent) - centre
        p = np.stack([(p[:, 0] - slant * p[:, 1]) * aspect, p[:, 1]], axis=1) @ rot.T
        out.append(_wobble(p, rng, wobble))
    if len(out) > 1 and rng.random() < 0.3:
        out = [out[j] for j in rng.permutation(len(out))]
    return [s[::-1] if rng.random() < 0.2 else s for s in out]


def place(
    strokes: Shape,
    canvas: tuple[int, int],
    size: float,
    brush: float,
    rng: np.random.Generator,
    by_height: bool,
) -> list[np.ndarray]:
    """Strokes scaled so their longer side (a word: its height) is `size` pixels, shrunk further
    if the canvas is too small, and put anywhere the whole drawing and its brush fit."""
    every = np.vstack(strokes)
    lo, hi = every.min(0), every.max(0)
    span = np.maximum(hi - lo, 1e-3)
    scale = size / (span[1] if by_height else span.max())
    room = np.asarray(canvas, np.float64) - 2 * (brush + 4)
    scale = min(scale, *(room / span))
    half = span * scale / 2
    centre = [rng.uniform(brush + 4 + h, c - brush - 4 - h) for h, c in zip(half, canvas)]
    return [((s - (lo + hi) / 2) * scale + centre).astype(np.float32) for s in strokes]


def _dense(stroke: np.ndarray, spacing: float) -> np.ndarray:
    """Points every `spacing` (or closer) along a polyline, its corners kept."""
    if len(stroke) < 2:
        return stroke
    pieces = [stroke[:1]]
    for a, b in itertools.pairwise(stroke):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / spacing)))
        pieces.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.vstack(pieces)


def _wobble(line: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
    """A smooth drift off the line (two slow waves along the stroke), as a hand drifts."""
    if len(line) < 2:
        return line + rng.normal(0, std, 2)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
    t = along / max(along[-1], 1e-9)
    drift = np.zeros_like(line)
    for k in (1, 2):
        drift += rng.normal(0, std, 2) * np.sin(np.pi * k * t + rng.uniform(0, 2 * np.pi))[:, None]
    return line + drift
