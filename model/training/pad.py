"""Digits as the app's pad draws them: traced strokes redrawn with a round brush, then made
MNIST-style by the app's own normalisation.

    bank = load_drawn(images, PadConfig(), variants=4, seed=0, cache_dir="data/cache")
    bank.shape                        # (N, 4, 28, 28) uint8: four drawings of every digit

A pad draws differently from a scanner: one constant, round brush (no pressure, no blur), round
line ends, and a hand that wobbles, runs a stroke past its end or stops short, and closes a loop
with a gap or an overlap where the pen comes back. `draw` does that to a digit's strokes
(strokes.py) at the size the app works at, with the pad's antialiasing; the app's own
`preprocess` (model/drawing, unchanged: ink finding, stray dots, `normalize_digit`) then makes
the 28x28 the network sees, from the drawing as black on white, as the pad sends it. Both are
per digit (measured: 0.7 ms to draw, 0.65 ms to preprocess), so the drawings are made once into
a bank, cached beside the strokes and keyed by the images, the settings and the seed; training
picks a drawing or the scan of each digit every epoch (augment.pick_views).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from ..drawing.mnist_style import normalize_digit
from ..drawing.preprocess import preprocess
from .cache import load_or_make
from .strokes import VERSION as STROKES_VERSION
from .strokes import Stroke, Strokes, load_strokes
from .workers import run_chunks, spans

VERSION = "2"  # bump when drawing changes: old banks are then ignored
CHUNK = 1000  # digits per piece of work when drawing in several processes
SPACING_PX = 0.5  # brush positions along a stroke, in working pixels


@dataclass(frozen=True)
class PadConfig:
    """How a hand on the pad varies; lengths are shares of the digit's height."""

    # The app's pad: a 12 px brush on a 640x320 canvas, shrunk 2x before reading (ink.py), and
    # digits drawn 80-300 px tall there: 40-150 px tall with a 6 px brush where they are read.
    height_px: tuple[float, float] = (40.0, 150.0)
    brush: tuple[float, float] = (0.04, 0.2)  # brush diameter, log-uniform (6 px on 150..40 px digits)
    wobble: float = 0.015  # smooth drift of the pen off the line, std
    tip: tuple[float, float] = (-0.03, 0.05)  # a free end stops short (-) or runs on (+), uniform
    rejoin: float = 0.08  # where the pen comes back to a line: gap or overlap, uniform in +-rejoin
    rejoin_exact: float = 0.3  # share of those places closed exactly

    def to_dict(self) -> dict:
        return asdict(self)


def draw(strokes: list[Stroke], rng: np.random.Generator, config: PadConfig = PadConfig()) -> np.ndarray:
    """One digit's strokes drawn as on the pad: (H, W) float32 ink coverage in [0, 1], cropped."""
    height = rng.uniform(*config.height_px)
    scale = height / 20  # working px per 28x28 px: MNIST's digits are 20 px tall
    radius = height * np.exp(rng.uniform(*np.log(config.brush))) / 2
    lines = [s.points.astype(np.float64) * scale for s in strokes]
    if not strokes:
        return np.zeros((1, 1), np.float32)
    lines = _move_ends(strokes, lines, rng, config, height)
    lines = [_wobble(_dense(p, SPACING_PX), rng, config.wobble * height) for p in lines]
    points = np.concatenate(lines)
    lo = np.floor(points.min(0) - radius - 2)
    hi = np.ceil(points.max(0) + radius + 2)
    seeds = np.ones((int(hi[1] - lo[1]), int(hi[0] - lo[0])), bool)
    ij = np.round(points - lo).astype(int)
    seeds[ij[:, 1], ij[:, 0]] = False
    # antialiased round brush: coverage falls from 1 to 0 over the pixel at the brush's edge
    return np.clip(radius + 0.5 - ndimage.distance_transform_edt(seeds), 0, 1).astype(np.float32)


def drawn_digit(
    strokes: list[Stroke], rng: np.random.Generator, config: PadConfig = PadConfig()
) -> np.ndarray:
    """(28, 28) float32 in [0, 1]: the digit drawn on the pad and read as the app reads it."""
    ink = np.round(draw(strokes, rng, config) * 255).astype(np.uint8)
    digit = preprocess(Image.fromarray(255 - ink))  # black on white, as the pad sends it
    if digit is None:  # the app would take it for a stray dot; keep the drawing anyway
        return normalize_digit(Image.fromarray(ink))
    return digit[0].numpy()


def render_bank(
    strokes: Strokes, variants: int, seed: int, config: PadConfig = PadConfig(), workers: int = 1
) -> np.ndarray:
    """(N, variants, 28, 28) uint8: every digit drawn `variants` times, in `workers` processes.
    Digit i's drawings depend only on (seed, i), not on what else is drawn or how it is split."""
    chunks = [(strokes.slice(a, b), a, variants, seed, config) for a, b in spans(len(strokes), CHUNK)]
    parts = run_chunks(_render, chunks, workers)
    return np.concatenate(parts) if parts else np.zeros((0, variants, 28, 28), np.uint8)


def _render(strokes: Strokes, first: int, variants: int, seed: int, config: PadConfig) -> np.ndarray:
    """render_bank's work for digits first..first+len(strokes)-1."""
    bank = np.zeros((len(strokes), variants, 28, 28), np.uint8)
    for i in range(len(strokes)):
        rng = np.random.default_rng([seed, first + i])
        lines = strokes.digit(i)
        for v in range(variants):
            bank[i, v] = np.round(drawn_digit(lines, rng, config) * 255)
    return bank


def load_drawn(
    images: torch.Tensor | np.ndarray,
    config: PadConfig,
    variants: int,
    seed: int,
    cache_dir: str | Path | None,
    on_build: Callable[[], None] | None = None,
    workers: int = 1,
) -> torch.Tensor:
    """(N, variants, 28, 28) uint8 drawings of `images`, from `cache_dir` or made and saved there
    (`on_build` is called first: it takes about 1 ms a drawing, plus 1.3 ms a digit to trace)."""
    array = np.ascontiguousarray(np.asarray(images, np.uint8))
    settings = {"pad": config.to_dict(), "variants": variants, "seed": seed}
    settings["versions"] = [STROKES_VERSION, VERSION]
    shape = (len(array), variants, 28, 28)

    def make() -> dict[str, torch.Tensor]:
        strokes = load_strokes(array, cache_dir, workers)
        return {"drawn": torch.from_numpy(render_bank(strokes, variants, seed, config, workers))}

    def valid(tensors: dict[str, torch.Tensor]) -> bool:
        bank = tensors.get("drawn")
        return bank is not None and tuple(bank.shape) == shape and bank.dtype == torch.uint8

    return load_or_make(cache_dir, "drawn", array, settings, make, valid, on_build)["drawn"]


def _move_ends(
    strokes: list[Stroke], lines: list[np.ndarray], rng: np.random.Generator, config: PadConfig, height: float
) -> list[np.ndarray]:
    """Tips run on or stop short; where strokes meet (a junction, a loop's closing) one of them,
    the pen coming back, leaves a gap or overlaps."""
    shift = np.zeros((len(lines), 2))  # per stroke and end: how far it runs on (< 0: stops short)
    meeting: dict[tuple, list[tuple[int, int]]] = {}
    for k, (stroke, line) in enumerate(zip(strokes, lines)):
        if stroke.closed:  # start the loop anywhere; the pen comes back to that point
            start = int(rng.integers(len(line) - 1)) if len(line) > 2 else 0
            lines[k] = line = np.concatenate([line[start:-1], line[: start + 1]])
            meeting[("loop", k)] = [(k, 0), (k, 1)]
            continue
        for end, free in enumerate(stroke.free_ends):
            if free:
                shift[k, end] = rng.uniform(*config.tip) * height
            else:  # ends at a junction: group with the others that end at the same point
                point = stroke.points[-end] if end else stroke.points[0]
                meeting.setdefault(tuple(np.round(point, 2)), []).append((k, end))
    for ends in meeting.values():
        if rng.random() >= config.rejoin_exact:
            k, end = ends[int(rng.integers(len(ends)))]
            shift[k, end] = rng.uniform(-config.rejoin, config.rejoin) * height
    return [_extend(line, shift[k, 0], shift[k, 1]) for k, line in enumerate(lines)]


def _extend(line: np.ndarray, at_start: float, at_end: float) -> np.ndarray:
    """The polyline run on straight (> 0) or cut back (< 0) by these lengths at its two ends;
    never cut to less than half its length."""
    if len(line) < 2:
        return line
    line = _dense(line, SPACING_PX)
    step = np.linalg.norm(np.diff(line, axis=0), axis=1)
    length = float(step.sum())
    cut = [max(-a, 0.0) for a in (at_start, at_end)]
    if sum(cut) > length / 2:
        cut = [c * length / 2 / sum(cut) for c in cut]
    along = np.concatenate([[0.0], np.cumsum(step)])
    line = line[(along >= cut[0]) & (along <= length - cut[1])]
    if len(line) < 2:
        return line
    back = min(3, len(line) - 1)  # the direction of travel over the last few points
    head = _run_on(line[0], line[back], at_start)
    tail = _run_on(line[-1], line[-1 - back], at_end)
    return np.concatenate([head, line, tail])


def _run_on(tip: np.ndarray, behind: np.ndarray, amount: float) -> np.ndarray:
    """(0 or 1, 2): the point `amount` beyond `tip`, straight on from `behind`; none if amount <= 0."""
    direction = tip - behind
    norm = float(np.hypot(*direction))
    if amount <= 0 or norm == 0:
        return np.zeros((0, 2))
    return (tip + direction / norm * amount)[None]


def _wobble(line: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
    """Add a smooth drift (two slow waves along the stroke) of standard deviation about `std`."""
    if len(line) < 2 or std <= 0:
        return line
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    t = along / max(along[-1], 1e-6)
    drift = np.zeros_like(line)
    for k in (1, 2):
        amplitude = rng.normal(0, std, 2)  # per axis; sin^2 averages 1/2, two waves: std overall
        drift += amplitude * np.sin(np.pi * k * t + rng.uniform(0, 2 * np.pi))[:, None]
    return line + drift


def _dense(line: np.ndarray, spacing: float) -> np.ndarray:
    """Points every `spacing` (or closer) along a polyline, its corners kept."""
    if len(line) < 2:
        return line
    step = np.diff(line, axis=0)
    n = np.maximum(1, np.ceil(np.hypot(step[:, 0], step[:, 1]) / spacing)).astype(int)
    segment = np.repeat(np.arange(len(step)), n)
    fraction = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 1) / np.repeat(n, n)
    return np.concatenate([line[:1], line[segment] + step[segment] * fraction[:, None]])
