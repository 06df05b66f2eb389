"""Segmentation by recognition: the classifier helps choose how the ink splits into digits.

    segments, probs = find_digits(image, classifier)   # left to right; probs (N, 10)

Heuristic over-segmentation (LeCun, Bottou, Bengio and Haffner 1998). The pieces of ink are
grouped into digits by their geometry (drawing/blobs.py), long flat lines set aside
(drawing/marks.py), and every group gets its alternatives:
- read whole, or without a small piece that may be a stray mark (a tick or a dot beside it);
- dropped, when it is small next to the drawing's digits (a dash or a tick on its own);
- cut into two or more digits along candidate paths (drawing/cuts.py), when it is wider than
  many digits are and its whole reading is unsure (model/priors.py): neighbours that touch,
  overlap or are joined by a stroke.
Every candidate gets the MNIST-style normalisation (drawing/mnist_style.py). The classifier
reads them in two batches: every group whole first, then all the cut segments of the groups
that need them. Per group, dynamic programming over the cut positions picks the alternative
with the highest product of digit probabilities times the priors (model/priors.py), a cost per
cut and a cost for dropping ink.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from .classifier import Classifier
from .drawing.blobs import CONNECT_LEVEL, Blob, crop_group, digit_pieces, group_into_digits, typical_height
from .drawing.cuts import cut_out, cut_paths
from .drawing.marks import is_small, minor_pieces, split_off_lines
from .drawing.mnist_style import normalize_digit
from .drawing.segment import SMALL_MARK
from .priors import digit_medians, is_sure, read_score, shape_prior

# Each cut costs this. On the training-digit sets no cost at all read 1-2% more mixed numbers
# right and changed nothing else, but on the benchmark's numbers with digits apart it cut 3 of
# 1,000 that log 0.6 leaves whole (28 read as 213): digits apart must not be read worse.
LOG_CUT = math.log(0.6)
LOG_DROP_PIECE = math.log(0.6)  # reading a digit without one of its small pieces
LOG_DROP_GROUP = math.log(0.5)  # a small group read as no digit at all
# Groups at least this wide (of the typical digit height) may be cut: 96% of touching pairs
# are, and 35% of single digits (measured on 1,200 digits and 96 touching pairs).
CUT_FROM = 0.75
MIN_WIDTH = 0.12  # a cut leaves at least this share of the typical height on either side
MAX_WIDTH = 1.3  # a segment between two cuts is at most this wide (of the typical height)
PRUNE = 0.65  # cut segments shorter than this (of the typical height) are never read: they
# could not win against the height prior; dropping them halved the candidates, costing nothing


@dataclass(frozen=True)
class Segment:
    """A piece of a drawing read as one digit."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], MNIST-style
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    cut: bool  # True when a cut separated it from ink it touches


@dataclass(frozen=True)
class _Edge:
    """A step of a group's search from cut position `start` to `stop`: a segment read (its
    index among the candidates), or ink dropped (segment None)."""

    start: int
    stop: int
    segment: int | None
    box: tuple[int, int, int, int] | None = None
    prior: float = 0.0  # log-prior of the step itself: cutting, dropping ink


@dataclass
class _Group:
    """One group's search graph: cut positions 0 (its left edge) to `stop` (its right edge)."""

    crop: Image.Image  # the group's ink, other groups masked out
    box: tuple[int, int, int, int]
    reference: float | None  # for normalize_digit
    whole: int | None = None  # the candidate of the whole group
    stop: int = 1
    edges: list[_Edge] = field(default_factory=list)


def find_digits(image: Image.Image | np.ndarray, classifier: Classifier) -> tuple[list[Segment], np.ndarray]:
    """The digits of a drawing, left to right, and their probabilities ((N, 10) array)."""
    ink, labels, blobs = digit_pieces(image)
    blobs, _lines = split_off_lines(blobs)
    if not blobs:
        return [], np.zeros((0, 10), np.float32)
    pieces = group_into_digits(blobs)
    typical = typical_height(pieces)
    several = len(pieces) > 1
    candidates: list[Segment] = []
    groups = [_read_whole(ink, labels, g, typical, several, candidates) for g in pieces]
    if not candidates:
        return [], np.zeros((0, 10), np.float32)
    probs, energy = _classify(classifier, candidates)
    medians = digit_medians(classifier.digit_energy)  # what a whole digit scores with these weights
    first = len(candidates)
    for group in groups:
        if group.whole is not None and group.box[2] - group.box[0] >= CUT_FROM * typical:
            p = probs[group.whole]
            digit = int(p.argmax())
            if not is_sure(digit, float(p[digit]), float(energy[group.whole]), group.box, typical, medians):
                _add_cuts(group, typical, candidates)
    if len(candidates) > first:  # one more batch: every cut segment of every group
        more_probs, more_energy = _classify(classifier, candidates[first:])
        probs, energy = np.concatenate([probs, more_probs]), np.concatenate([energy, more_energy])
    chosen = [i for group in groups for i in _best(group, probs, energy, typical, medians)]
    return [candidates[i] for i in chosen], probs[chosen]


def _read_whole(
    ink: Image.Image, labels: np.ndarray, group: list[Blob], typical: int, several: bool, out: list
) -> _Group:
    """A group's first alternatives: whole, without a small piece, dropped (when small)."""
    crop, box = crop_group(ink, labels, group)
    found = _Group(crop, box, SMALL_MARK * typical if several else None)
    whole = _normalise(crop, box, found.reference, False, out)
    if whole is not None:
        found.whole = whole
        found.edges.append(_Edge(0, 1, whole, box))
    if several and is_small(box, typical):
        found.edges.append(_Edge(0, 1, None, prior=LOG_DROP_GROUP))
    for piece in minor_pieces(group, typical)[:2]:
        rest_crop, rest_box = crop_group(ink, labels, [b for b in group if b is not piece])
        index = _normalise(rest_crop, rest_box, found.reference, False, out)
        if index is not None:
            found.edges.append(_Edge(0, 1, index, rest_box, LOG_DROP_PIECE))
    return found


def _add_cuts(group: _Group, typical: int, out: list) -> None:
    """Candidate cuts through a group, and every segment between two of them (up to MAX_WIDTH
    wide) as an edge of its search."""
    pixels = np.asarray(group.crop)
    paths = cut_paths(pixels >= CONNECT_LEVEL, max(2, round(MIN_WIDTH * typical)))
    if not paths:
        return
    stop = len(paths) + 1
    group.edges = [replace(e, stop=stop) for e in group.edges]
    group.stop = stop
    bounds = [None, *paths, None]
    centres = [0.0, *(float(p.mean()) for p in paths), float(pixels.shape[1])]
    for i in range(stop):
        for j in range(i + 1, stop + 1):
            if (i, j) == (0, stop) or (j > i + 1 and centres[j] - centres[i] > MAX_WIDTH * typical):
                continue
            piece = cut_out(pixels, bounds[i], bounds[j])
            if piece is None or piece[1][3] - piece[1][1] < PRUNE * typical:
                continue
            left, top, right, bottom = piece[1]
            box = (group.box[0] + left, group.box[1] + top, group.box[0] + right, group.box[1] + bottom)
            index = _normalise(Image.fromarray(piece[0]), box, group.reference, True, out)
            if index is not None:
                group.edges.append(_Edge(i, j, index, box, LOG_CUT if j < stop else 0.0))


def _normalise(
    crop: Image.Image, box: tuple[int, int, int, int], reference: float | None, cut: bool, out: list
) -> int | None:
    """Normalise a candidate and append it to `out`; its index there, or None for no ink."""
    image = normalize_digit(crop, reference=reference)
    if image is None:
        return None
    out.append(Segment(image, box, cut))
    return len(out) - 1


def _classify(classifier: Classifier, candidates: list[Segment]) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (N, 10) and energies (N,) of candidates, in one batch."""
    x = torch.from_numpy(np.stack([c.image for c in candidates]))[:, None]  # (N, 1, 28, 28)
    logits = classifier.predict_logits(x)
    return torch.softmax(logits, dim=1).numpy(), torch.logsumexp(logits, dim=1).numpy()


def _best(
    group: _Group, probs: np.ndarray, energy: np.ndarray, typical: int, medians: Sequence[float]
) -> list[int]:
    """The candidates along the best path from the group's left edge to its right (Viterbi)."""
    score = [0.0] + [-math.inf] * group.stop
    back: list[_Edge | None] = [None] * (group.stop + 1)
    for edge in sorted(group.edges, key=lambda e: e.stop):  # edges into j before edges out of j
        total = score[edge.start] + edge.prior
        if edge.segment is not None:
            digit, read = read_score(probs[edge.segment], float(energy[edge.segment]), medians)
            total += read + shape_prior(digit, edge.box, typical)
        if total > score[edge.stop]:
            score[edge.stop], back[edge.stop] = total, edge
    chosen, at = [], group.stop
    while at > 0 and back[at] is not None:
        edge = back[at]
        if edge.segment is not None:
            chosen.append(edge.segment)
        at = edge.start
    return chosen[::-1]
