"""The search's own cut pieces of touching digits, labelled by whose ink they hold.

    bank, targets = load_cut_candidates(images, labels, pairs=16_000, seed=0, cache_dir="data/cache")
    bank.shape, targets.shape      # (N, 28, 28) uint8, normalised as segments are; (N,) 1/0

The whole-digit check (whole_digit.py) tells the search (segmentation.py) which of its candidate
pieces are one digit. Straight cuts (pairs.py) alone let pieces pass that a straight cut never
makes: a 4 with the hook of the 7 it touches read as a 9. Here touching pairs of training digits
(pairs.pair_layers: any view, each digit's ink on its own layer) are cut exactly as the app cuts
a group (segmentation.cut_pieces), and each piece is labelled by the share of each digit's ink it
holds (its own pixels, weighted by ink):
- one whole digit (1): at least WHOLE_SHARE of one digit's ink and, of the other's, at most
  STRAY of as much ink as the first holds;
- not one digit (0): under PART_SHARE of each digit's ink, or more than MIXED of the other's;
- anything between is left out: nobody could say.
Per pair up to WHOLE_PER_PAIR whole pieces are kept and up to NOT_PER_PAIR of the others, at
random.
About 25 ms per pair (the cuts, and a normalisation per kept piece), so the bank is made once and
cached (model/training/cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...drawing.mnist_style import normalize_digit
from ...training.workers import run_chunks, spans
from ..segmentation import SMALL_MARK, CutPiece, cut_pieces
from ..whole_digit import WHOLE
from .pairs import any_view, enlarge, load_bank, pair_layers

VERSION = "1"  # bump when making them changes: old banks are then ignored
WHOLE_SHARE = 0.9
STRAY = 0.06
PART_SHARE = 0.5  # higher taught the check to doubt digits missing a little ink
MIXED = 0.15
WHOLE_PER_PAIR = 3  # many cuts leave the same digit with a pixel more or less: a few will do
NOT_PER_PAIR = 4


def load_cut_candidates(
    images: torch.Tensor | np.ndarray,
    labels: torch.Tensor | np.ndarray,
    pairs: int,
    seed: int,
    cache_dir: str | Path | None,
    on_build: Callable[[], None] | None = None,
    workers: int = 1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pieces cut from `pairs` touching pairs of `images` ((N, 28, 28) or (N, V, 28, 28) uint8)
    as (M, 28, 28) uint8 and their (M,) labels (1: one whole digit, 0: not), from `cache_dir` or
    made and saved there."""
    settings = {
        "pairs": pairs,
        "seed": seed,
        "version": VERSION,
        "shares": [WHOLE_SHARE, STRAY, PART_SHARE, MIXED, WHOLE_PER_PAIR, NOT_PER_PAIR],
    }
    make = partial(_make_in_pieces, pairs=pairs, seed=seed, workers=workers)
    return load_bank("cut-pieces", images, labels, settings, make, cache_dir, on_build)


def _make_in_pieces(
    array: np.ndarray, labels: np.ndarray, pairs: int, seed: int, workers: int
) -> tuple[np.ndarray, np.ndarray]:
    """make_candidates in `workers` processes, one piece each (each gets all the digits): the
    same bank as in one."""
    chunks = [(array, labels, b - a, seed, a) for a, b in spans(pairs, max(1, -(-pairs // max(workers, 1))))]
    parts = run_chunks(make_candidates, chunks, workers)
    if not parts:
        return make_candidates(array, labels, 0, seed)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def make_candidates(
    array: np.ndarray, labels: np.ndarray, pairs: int, seed: int, first: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(M, 28, 28) uint8 pieces and (M,) int64 labels from touching pairs first..first+pairs-1
    of `array` (whose digits they are does not matter here); pair i depends only on (seed, i)."""
    images, targets = [], []
    for i in range(first, first + pairs):
        rng = np.random.default_rng([seed, i])
        first, second = (enlarge(any_view(array, int(rng.integers(len(array))), rng), rng) for _ in range(2))
        for image, label in pair_pieces(first, second, rng):
            images.append(np.round(image * 255).astype(np.uint8))
            targets.append(label)
    if not images:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.stack(images), np.asarray(targets, np.int64)


def pair_pieces(
    first: np.ndarray, second: np.ndarray, rng: np.random.Generator
) -> list[tuple[np.ndarray, int]]:
    """The labelled pieces ((28, 28) float32 MNIST-style, and 1: one whole digit, or 0) that the
    search cuts from two digits (float ink, as pairs.enlarge makes them) drawn touching."""
    (left, right), _ = pair_layers(first, second, rng)
    typical = (first.shape[0] + second.shape[0]) / 2
    pixels = np.round(np.maximum(left, right) * 255).astype(np.uint8)
    whole, other, seen = [], [], set()
    for _, pieces in cut_pieces(pixels, typical):
        for piece in pieces:
            key = (piece.box, piece.ink.tobytes())  # two families may cut a piece alike
            if key in seen:
                continue
            seen.add(key)
            label = _label(piece, left, right)
            if label is not None:
                (whole if label == WHOLE else other).append(piece)
    picked = [(whole[k], WHOLE) for k in rng.permutation(len(whole))[:WHOLE_PER_PAIR]]
    picked += [(other[k], 1 - WHOLE) for k in rng.permutation(len(other))[:NOT_PER_PAIR]]
    found = []
    for piece, label in picked:
        image = normalize_digit(Image.fromarray(piece.ink), reference=SMALL_MARK * typical)
        if image is not None:
            found.append((image, label))
    return found


def _label(piece: CutPiece, left: np.ndarray, right: np.ndarray) -> int | None:
    """WHOLE, not (1 - WHOLE), or None (between the two) for a piece, by the ink of each digit
    (its layer) on the piece's own pixels."""
    x0, y0, x1, y1 = piece.box
    own = piece.ink > 0
    held = np.array([layer[y0:y1, x0:x1][own].sum() for layer in (left, right)])
    shares = held / np.array([max(left.sum(), 1e-6), max(right.sum(), 1e-6)])
    main = int(shares.argmax())
    foreign = held[1 - main] / max(held[main], 1e-6)
    if shares[main] >= WHOLE_SHARE and foreign <= STRAY:
        return WHOLE
    if shares[main] < PART_SHARE or foreign > MIXED:
        return 1 - WHOLE
    return None
