"""Touching pairs of training digits, and straight cuts of them: what is not one whole digit.

    bank, labels = load_pairs(images, labels, count=30_000, seed=0, cache_dir="data/cache")
    bank.shape, labels.shape      # (30000, 28, 28) uint8, normalised as segments are; (30000,)

The whole-digit check (model/numbers/whole_digit.py) learns from these what reading's candidate
pieces look like when they are not one digit. Four kinds, made from training digits only (the
benchmarks write numbers from the test digits), each enlarged to the size the app reads at,
composed, and normalised by the app's own `normalize_digit` exactly as a candidate segment is:
- pair      two digits side by side, touching or overlapping by 0-20% of the height;
- slice     such a pair cut straight down through one of the two digits, 25-60% of it kept;
- fragment  one digit cut straight down off-centre, 30-65% of its width kept (never a 1: a piece
            of a 1 is a 1);
- piece     such a pair cut straight down where the two meet, one side kept: labelled with its
            digit (one whole digit, give or take), the others with NOT_ONE_DIGIT.
About 0.6 ms an item, so the bank is made once and cached (model/training/cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...drawing.mnist_style import normalize_digit
from ...training.cache import load_or_make

VERSION = "2"  # bump when making them changes: old banks are then ignored
KINDS = ("pair", "slice", "fragment", "piece")
SHARES = (0.35, 0.2, 0.15, 0.3)  # of the bank, by kind
NOT_ONE_DIGIT = -1  # the label of a sample that is not one digit
HEIGHT = 60.0  # working px per digit (MNIST's 20 px box, 3x): the app reads digits 40-150 px tall
OVERLAP = (0.0, 0.2)  # of the height: strokes meet, then overlap up to this


def load_pairs(
    images: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    count: int,
    seed: int,
    cache_dir: str | Path | None,
    on_build: Callable[[], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(count, 28, 28) uint8 samples made from `images` ((N, 28, 28) or (N, V, 28, 28) uint8:
    any view of a digit may be used) and their (count,) labels (NOT_ONE_DIGIT, or the digit of
    a piece), from `cache_dir` or made and saved there."""
    settings = {"count": count, "seed": seed, "version": VERSION, "shares": SHARES, "overlap": OVERLAP}
    make = partial(make_bank, count=count, seed=seed)
    # named "outliers" since they were made for outlier exposure: banks made then are reused
    return load_bank("outliers", images, labels, settings, make, cache_dir, on_build)


def load_bank(
    name: str,
    images: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    settings: dict,
    make: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    cache_dir: str | Path | None,
    on_build: Callable[[], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A bank of (M, 28, 28) uint8 samples and (M,) labels that `make(images, labels)` makes,
    cached by the images and `settings` (a "count" among them: the bank has that many)."""
    array = np.ascontiguousarray(np.asarray(images, np.uint8))
    labels = np.asarray(labels, np.int64)

    def made() -> dict[str, torch.Tensor]:
        bank, targets = (torch.from_numpy(a) for a in make(array, labels))
        return {"outliers": bank, "labels": targets}

    def valid(tensors: dict[str, torch.Tensor]) -> bool:
        bank, targets = tensors.get("outliers"), tensors.get("labels")
        if bank is None or targets is None or bank.shape[1:] != (28, 28) or bank.dtype != torch.uint8:
            return False
        return len(targets) == len(bank) and len(bank) == settings.get("count", len(bank))

    found = load_or_make(cache_dir, name, array, settings, made, valid, on_build)
    return found["outliers"], found["labels"]


def make_sample(
    array: np.ndarray, labels: np.ndarray, rng: np.random.Generator, kind: str
) -> tuple[np.ndarray | None, int]:
    """One sample of `kind` from random digits of `array`: (28, 28) float32 in [0, 1] (None if no
    ink is left) and its label, NOT_ONE_DIGIT but for a piece, which is the digit it holds."""
    n = len(array)
    label = NOT_ONE_DIGIT
    if kind == "fragment":
        i = int(rng.integers(n))
        while labels[i] == 1:
            i = int(rng.integers(n))
        ink = enlarge(any_view(array, i, rng), rng)
        cols = np.flatnonzero(ink.max(axis=0) > 0.5)
        cut = int(cols[0] + (cols[-1] - cols[0]) * rng.uniform(0.3, 0.65))
        ink = ink[:, :cut] if rng.random() < 0.5 else ink[:, ink.shape[1] - cut :]
    else:
        i, j = int(rng.integers(n)), int(rng.integers(n))
        first, second = enlarge(any_view(array, i, rng), rng), enlarge(any_view(array, j, rng), rng)
        ink, (left_end, right_start, right_end) = pair(first, second, rng)
        if kind == "slice":
            if rng.random() < 0.5:  # the left digit and a slice of the right one
                ink = ink[:, : int(right_start + (right_end - right_start) * rng.uniform(0.25, 0.6))]
            else:  # a slice of the left digit and the right one
                ink = ink[:, int(left_end - left_end * rng.uniform(0.25, 0.6)) :]
        elif kind == "piece":  # cut straight down where the two meet: one digit, give or take
            lo, hi = sorted((right_start, left_end + 1))
            cut = int(rng.integers(lo, hi + 1))
            if rng.random() < 0.5:
                ink, label = ink[:, :cut], int(labels[i])
            else:
                ink, label = ink[:, cut:], int(labels[j])
    return normalize_digit(Image.fromarray(np.round(ink * 255).astype(np.uint8))), label


def pair(first: np.ndarray, second: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple]:
    """Two enlarged digits side by side, strokes meeting and overlapping by OVERLAP of the height,
    on a shared baseline give or take 8%; the composed ink and (left digit's right edge, right
    digit's left edge, right digit's right edge) in its columns."""
    (left, right), edges = pair_layers(first, second, rng)
    return np.maximum(left, right), edges


def pair_layers(
    first: np.ndarray, second: np.ndarray, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], tuple]:
    """As `pair`, with each digit's ink on its own layer of the composed canvas: which ink is
    whose, to label what a cut leaves of each (cut_candidates.py)."""
    h = int(max(first.shape[0], second.shape[0]) + 0.2 * HEIGHT)
    canvas_w = first.shape[1] + second.shape[1] + 4
    left = _place(first, h, rng)  # (h, w1)
    right = _place(second, h, rng)
    ink_l, ink_r = left > 0.5, right > 0.5  # half ink: a stroke's edge
    edge_l = np.where(ink_l.any(axis=1), left.shape[1] - 1 - np.argmax(ink_l[:, ::-1], axis=1), -1)
    edge_r = np.where(ink_r.any(axis=1), np.argmax(ink_r, axis=1), 10**6)
    shared = (edge_l >= 0) & (edge_r < 10**6)
    overlap = HEIGHT * rng.uniform(*OVERLAP)
    gap = float((edge_r - edge_l)[shared].min()) if shared.any() else float(second.shape[1] // 2)
    x = max(round(1 - overlap - gap), 1 - right.shape[1] // 2)  # 1: the edges touch
    width = max(canvas_w, left.shape[1], x + right.shape[1])
    layers = np.zeros((2, h, width), np.float32)
    layers[0, :, : left.shape[1]] = left
    lo = max(x, 0)
    layers[1, :, lo : x + right.shape[1]] = right[:, lo - x :]
    used = np.flatnonzero(layers.max(axis=(0, 1)) > 0)
    layers = layers[:, :, : used[-1] + 1]
    cols_l = np.flatnonzero(left.max(axis=0) > 0.5)
    cols_r = np.flatnonzero(right.max(axis=0) > 0.5) + x
    return (layers[0], layers[1]), (int(cols_l[-1]), int(max(cols_r[0], 0)), int(cols_r[-1]))


def make_bank(array: np.ndarray, labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, 28, 28) uint8 samples and (count,) int64 labels; item i depends only on (seed, i)
    and the digits. One process: the digits with their drawings are too big to send to others
    (about 0.6 ms each)."""
    bounds = np.cumsum(SHARES) / sum(SHARES)
    out, targets = np.zeros((count, 28, 28), np.uint8), np.zeros(count, np.int64)
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        kind = KINDS[int(np.searchsorted(bounds, rng.random(), side="right"))]
        digit, label = make_sample(array, labels, rng, kind)
        while digit is None:  # no ink left (never seen; an empty image is no sample)
            digit, label = make_sample(array, labels, rng, kind)
        out[i], targets[i] = np.round(digit * 255), label
    return out, targets


def any_view(array: np.ndarray, i: int, rng: np.random.Generator) -> np.ndarray:
    """Digit i: the scan or one of its drawings, alike."""
    return array[i] if array.ndim == 3 else array[i, int(rng.integers(array.shape[1]))]


def enlarge(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 uint8 digit at HEIGHT px per 20 (+-15%), float ink in [0, 1], cropped to its ink."""
    size = max(28, round(28 * HEIGHT / 20 * rng.uniform(0.85, 1.15)))
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR), np.float32) / 255
    rows, cols = np.flatnonzero(big.max(axis=1) > 0.1), np.flatnonzero(big.max(axis=0) > 0.1)
    if rows.size == 0:
        return np.zeros((1, 1), np.float32)
    return big[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _place(ink: np.ndarray, h: int, rng: np.random.Generator) -> np.ndarray:
    """`ink` in a column `h` tall, centred on the baseline give or take 8% of HEIGHT."""
    out = np.zeros((h, ink.shape[1]), np.float32)
    top = int(np.clip((h - ink.shape[0]) / 2 + HEIGHT * rng.uniform(-0.08, 0.08), 0, h - ink.shape[0]))
    out[top : top + ink.shape[0]] = ink
    return out
