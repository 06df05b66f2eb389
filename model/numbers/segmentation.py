"""Segmentation by recognition: the classifier helps choose how the ink splits into digits.

    segments, logits, whole, digit = find_digits(image, classifier, reader)   # left to right

Heuristic over-segmentation (LeCun, Bottou, Bengio and Haffner 1998). The pieces of ink are
grouped into digits by their geometry (model/drawing/blobs.py), long flat lines set aside
(marks.py), and every group gets its alternatives:
- read whole, or without a small piece that may be a stray mark (a tick or a dot beside it);
- dropped, when it is small next to the drawing's digits (a dash or a tick on its own);
- cut into two or more digits along candidate paths (cuts.py: upright and slanted),
  when it is wider than many digits are and its whole reading is unsure (priors.py):
  neighbours that touch, overlap or are joined by a stroke.
Every candidate gets the MNIST-style normalisation (model/drawing/mnist_style.py). The
classifier reads them in two batches (and the reader's whole-digit check, whole_digit.py, with
it, when there is one): every group whole first, then all the cut segments of the groups that
need them. Per group, dynamic programming over the cut positions picks the path with the highest
score: each step's features (priors.py: the digit's log-probability, energy, width, height, the
whole-digit check, what cutting and dropping ink cost) times weights learned so that the right
readings of numbers score highest (training/path_weights.py, loaded from learned.py's file).
Reading (find_digits) reads only the cut segments that could still beat their group's best
uncut reading: before a segment is normalised, its box bounds its step's score
(priors.CutBound), and a segment on no path that could win is left out; the best paths stay
the same, for half the normalisations of the crowd's frames (docs/measurements.md).

    found = search(image, classifier, reader)   # every group's search graph, its steps with features
    best_path(found.groups[0], found.stops[0], reader.vector)   # the candidates one group reads as
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from ..classifier import Classifier
from ..drawing.blobs import CONNECT_LEVEL, Blob, crop_group, digit_pieces, group_into_digits, typical_height
from ..drawing.mnist_style import normalize_digit
from ..drawing.preprocess import preprocess_pieces
from ..logits import logsumexp, softmax
from .cuts import cut_families, cut_out
from .marks import is_small, minor_pieces, split_off_lines
from .priors import CutBound, candidate_features, is_sure, step_features
from .reader import NumberReader

# A piece shorter than this share of the drawing's typical digit height is scaled as if it were
# that tall, so a small mark next to big digits stays small instead of becoming a fake digit.
SMALL_MARK = 0.6
# A group the whole-digit check gives under this is doubted: it is searched for cuts even when
# narrow (NARROW_CUT_FROM), and its cut pieces do without the cost of "cut, group not doubted"
# (priors.FEATURES): charging every group's cut pieces alike cut more single digits in two.
DOUBTED = math.log(0.2)
# Groups at least this wide (of the typical digit height) may be cut: 96% of touching pairs are,
# and 35% of single digits.
CUT_FROM = 0.75
# Narrower groups are cut too when the whole-digit check doubts them (under DOUBTED): two 1s, or
# a 1 touching a 4 or a 6, make a group no wider than many single digits.
NARROW_CUT_FROM = 0.4
MIN_WIDTH = 0.12  # a cut leaves at least this share of the typical height on either side
MAX_WIDTH = 1.3  # a segment between two cuts is at most this wide (of the typical height)
# At most this many candidates per drawing (about 0.5 ms each to cut out and normalise): the
# groups after it are read whole, uncut. Numbers of 2-6 digits as bench.multidigit writes them
# make at most 112 (200 numbers, every condition; median 7); looping lines drawn across a 4 MP
# canvas made 4,360 (2.4 s of CPU) before this bound (issue 24, H1).
MAX_CANDIDATES = 1500
PRUNE = 0.65  # cut segments shorter than this (of the typical height) are never read: they
# could not win against the height prior; dropping them halved the candidates, costing nothing
# A first batch of at most this many candidates (a digit or two, the pad's usual frame) is read
# over its one-pixel moves at once: the chosen digits then need no pass of their own. Each pass
# costs far more than a few rows in it at these sizes (docs/experiments.md, "CPU per reading").
MOVES_WITH_FIRST = 4


@dataclass(frozen=True)
class Segment:
    """A piece of a drawing read as one digit."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], MNIST-style
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    cut: bool  # True when a cut separated it from ink it touches
    # True when it is all the drawing's ink, normalised as preprocess_pieces does (one group,
    # no line set aside): reading.py then need not normalise the whole drawing again to compare
    all_ink: bool = False


@dataclass(frozen=True)
class _Edge:
    """A step of a group's search from cut position `start` to `stop`: a segment read (its
    index among the candidates), or ink dropped (segment None)."""

    start: int
    stop: int
    segment: int | None
    box: tuple[int, int, int, int] | None = None
    cut: bool = False  # a piece a cut made
    cut_after: bool = False  # ... whose right edge is a cut path, not the group's
    piece_dropped: bool = False  # the group without one of its small pieces


@dataclass(frozen=True)
class Step:
    """A step of a group's search, scored: the candidate it reads (an index into
    Search.candidates; None: ink dropped), its digit, and its priors.FEATURES."""

    start: int
    stop: int
    candidate: int | None
    digit: int | None
    features: np.ndarray


@dataclass(frozen=True)
class Search:
    """Everything reading a drawing weighed: the candidates, their probabilities, and per group
    (left to right) its search graph, cut positions 0 to `stops[i]`, as Steps."""

    candidates: list[Segment]
    probs: np.ndarray  # (N, 10)
    groups: list[list[Step]]
    stops: list[int]
    whole: np.ndarray | None = None  # (N,) log P(one whole digit); None without the check
    digit: np.ndarray | None = None  # (N,) the score's third part (NumberReader.digit_part)
    # (N, 10) the logits over each candidate's one-pixel moves, where they were read with the
    # first batch (MOVES_WITH_FIRST); NaN rows for the others
    moved: np.ndarray | None = None


@dataclass
class _Group:
    """One group's search graph: cut positions 0 (its left edge) to `stop` (its right edge)."""

    crop: Image.Image  # the group's ink, other groups masked out
    box: tuple[int, int, int, int]
    reference: float | None  # for normalize_digit
    whole: int | None = None  # the candidate of the whole group
    doubted: bool = False  # the whole-digit check doubts it is one digit
    stop: int = 1
    edges: list[_Edge] = field(default_factory=list)


def find_digits(
    image: Image.Image | np.ndarray,
    classifier: Classifier,
    reader: NumberReader,
    max_digits: int | None = None,
    pieces: tuple | None = None,
) -> tuple[list[Segment], np.ndarray, np.ndarray, np.ndarray]:
    """The digits of a drawing, left to right, their logits ((N, 10) array, each digit read over
    its one-pixel moves), the whole-digit check's log-probability that each is one whole digit
    ((N,); NaN without the check) and the not-a-digit check's part of their score ((N,),
    NumberReader.digit_part), which the verdict scores them with (verdict.py).

    `max_digits`: at most this many (the pad's count of what its strokes can hold): the best path
    with so few, or, when no path has so few, all the ink read as one digit. `pieces`: the
    drawing's digit_pieces, when the caller has them already (they are found once per frame)."""
    pieces = pieces or digit_pieces(image)
    found = search(image, classifier, reader, pieces, prune=True, max_digits=max_digits)
    chosen = best_paths(found.groups, found.stops, reader.vector, max_digits)
    nothing = [], np.zeros((0, 10), np.float32), np.zeros(0), np.zeros(0)
    if chosen is None:  # more pieces than asked for, and none can be dropped: all the ink, one digit
        everything = _all_ink(pieces) if max_digits else None
        if everything is None:
            return nothing
        segments = [Segment(everything, _union([c.box for c in found.candidates]), False)]
        _, moved, whole, digit = reader.read(classifier, torch.from_numpy(everything)[None, None], moves=True)
        return segments, moved, np.full(1, np.nan) if whole is None else whole.astype(np.float64), digit
    if not chosen:
        return nothing
    segments = [found.candidates[i] for i in chosen]
    whole = np.full(len(chosen), np.nan) if found.whole is None else found.whole[chosen]
    # the digits chosen are read again, each five times (model/shifts.py): fewer mistakes
    moved = None if found.moved is None else found.moved[chosen]
    if moved is None or np.isnan(moved).any():  # not all read with their moves yet
        x = torch.from_numpy(np.stack([s.image for s in segments]))[:, None]
        moved = reader.read(classifier, x, moves=True)[1]
    return segments, moved, whole.astype(np.float64), found.digit[chosen]


def best_paths(
    groups: Sequence[Sequence[Step]], stops: Sequence[int], weights: np.ndarray, max_digits: int | None = None
) -> list[int] | None:
    """The candidates a drawing reads as, its groups left to right: each group's best path
    (best_path); with `max_digits`, the best paths whose digits number at most that many in all
    (the highest total score), or None when no paths have so few."""
    if max_digits is None:
        return [i for steps, stop in zip(groups, stops) for i in best_path(steps, stop, weights)]
    totals: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}  # digits so far -> best
    for steps, stop in zip(groups, stops):
        ways = _best_by_count(steps, stop, weights, max_digits) or {0: (0.0, [])}  # as best_path: none
        joined: dict[int, tuple[float, list[int]]] = {}
        for k, (score, chosen) in totals.items():
            for n, (more, path) in ways.items():
                if k + n <= max_digits and (k + n not in joined or score + more > joined[k + n][0]):
                    joined[k + n] = (score + more, chosen + path)
        totals = joined
    return max(totals.values(), key=lambda t: t[0])[1] if totals else None


def _best_by_count(
    steps: Sequence[Step], stop: int, weights: np.ndarray, most: int
) -> dict[int, tuple[float, list[int]]]:
    """Per number of digits 0..`most`, the best path through a group with that many and its
    score (Viterbi, as best_path, with the digits read so far as a second coordinate)."""
    score = [[-math.inf] * (most + 1) for _ in range(stop + 1)]
    back: list[list[Step | None]] = [[None] * (most + 1) for _ in range(stop + 1)]
    score[0][0] = 0.0
    for step in sorted(steps, key=lambda e: e.stop):  # steps into j before steps out of j
        gain, adds = float(step.features @ weights), int(step.candidate is not None)
        for k in range(most + 1 - adds):
            total = score[step.start][k] + gain
            if total > score[step.stop][k + adds]:
                score[step.stop][k + adds], back[step.stop][k + adds] = total, step
    found = {}
    for n in range(most + 1):
        if score[stop][n] == -math.inf:
            continue
        chosen, at, k = [], stop, n
        while at > 0:
            step = back[at][k]
            if step.candidate is not None:
                chosen.append(step.candidate)
                k -= 1
            at = step.start
        found[n] = (score[stop][n], chosen[::-1])
    return found


def _all_ink(pieces: tuple) -> np.ndarray | None:
    """All of a drawing's ink as one MNIST-style digit (as preprocess does); None: no ink."""
    whole = preprocess_pieces(pieces)
    return None if whole is None else whole[0].numpy()


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    left, top, right, bottom = zip(*boxes)
    return min(left), min(top), max(right), max(bottom)


def search(
    image: Image.Image | np.ndarray,
    classifier: Classifier,
    reader: NumberReader,
    pieces: tuple | None = None,
    prune: bool = False,
    max_digits: int | None = None,
) -> Search:
    """The search graphs of a drawing's groups of ink, every step with its features (`pieces`:
    the drawing's digit_pieces, when the caller has them). `prune`: leave out the cut pieces no
    path through which could beat the group's best uncut reading with the reader's weights
    (priors.CutBound): the best paths stay the same, the graph is no longer complete (training
    and bench.multidigit's "in search" want it whole). `max_digits`: the paths best_paths will
    choose from have at most this many digits (a live frame's): a group is searched for cuts only
    when the other groups can leave it two, since every path through a cut reads two digits or
    more (the best paths stay the same; a single digit's live frames are never cut)."""
    ink, labels, blobs = pieces or digit_pieces(image)
    blobs, lines = split_off_lines(blobs)
    if not blobs:
        return Search([], np.zeros((0, 10), np.float32), [], [])
    pieces = group_into_digits(blobs)
    typical = typical_height(pieces)
    several = len(pieces) > 1
    candidates: list[Segment] = []
    groups = [_read_whole(ink, labels, g, typical, several, candidates) for g in pieces]
    if not candidates:
        return Search([], np.zeros((0, 10), np.float32), [], [])
    if not several and not lines and groups[0].whole is not None:  # the one group is all the ink
        candidates[groups[0].whole] = replace(candidates[groups[0].whole], all_ink=True)
    probs, energy, whole, digit_part, moved = _classify(
        classifier, reader, candidates, moves=len(candidates) <= MOVES_WITH_FIRST
    )
    learned = reader.learned
    medians = learned.digit_medians(classifier.digit_energy)  # what a whole digit scores with these weights
    first = len(candidates)
    spent = 0  # cut pieces left unread by pruning: they count against MAX_CANDIDATES too
    least = [_fewest_digits(group) for group in groups]
    for k, group in enumerate(groups):
        if group.whole is None:
            continue
        if max_digits is not None and max_digits - (sum(least) - least[k]) < 2:
            continue
        width, check = (group.box[2] - group.box[0]) / typical, float(whole[group.whole])
        group.doubted = check < DOUBTED
        if width >= CUT_FROM or (group.doubted and width >= NARROW_CUT_FROM):
            p = probs[group.whole]
            digit = int(p.argmax())
            reads = float(p[digit]), float(energy[group.whole])
            if len(candidates) + spent < MAX_CANDIDATES and not is_sure(
                digit, *reads, group.box, typical, learned, medians, check
            ):
                uncut = None
                if prune:  # the steps the group has so far (whole, without a piece, dropped), scored
                    read = {
                        e.segment: candidate_features(
                            probs[e.segment], float(energy[e.segment]), candidates[e.segment].box, typical,
                            learned, medians, float(whole[e.segment]))
                        for e in group.edges if e.segment is not None
                    }  # fmt: skip
                    scores = [
                        float(_step(e, group, read, whole).features @ reader.vector) for e in group.edges
                    ]
                    bound = CutBound(
                        reader.vector, learned, typical, doubted=group.doubted, group_whole=check
                    )
                    uncut = scores, bound
                spent += _add_cuts(group, typical, candidates, spent, uncut)
    if len(candidates) > first:  # one more batch: every cut segment of every group
        more = _classify(classifier, reader, candidates[first:])
        probs, energy, whole, digit_part, moved = (
            np.concatenate(pair) for pair in zip((probs, energy, whole, digit_part, moved), more)
        )
    readings = [
        candidate_features(p, float(e), c.box, typical, learned, medians, float(w))
        for p, e, w, c in zip(probs, energy, whole, candidates)
    ]
    steps = [[_step(edge, group, readings, whole) for edge in group.edges] for group in groups]
    return Search(
        candidates,
        probs,
        steps,
        [group.stop for group in groups],
        None if reader.check is None else whole,
        digit_part,
        moved,
    )


def _fewest_digits(group: _Group) -> int:
    """The fewest digits a path through an uncut group reads: none when it may be dropped (or
    has nothing to read), else one."""
    return int(
        any(e.segment is not None for e in group.edges) and all(e.segment is not None for e in group.edges)
    )


def _step(edge: _Edge, group: _Group, readings: list, whole: np.ndarray) -> Step:
    """An edge of a group's search with its features."""
    reading = None if edge.segment is None else readings[edge.segment]
    features = step_features(
        reading,
        cut=edge.cut,
        cut_after=edge.cut_after,
        doubted=group.doubted,
        group_whole=0.0 if group.whole is None else float(whole[group.whole]),
        piece_dropped=edge.piece_dropped,
    )
    return Step(edge.start, edge.stop, edge.segment, None if reading is None else reading[0], features)


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
        found.edges.append(_Edge(0, 1, None))
    for piece in minor_pieces(group, typical)[:2]:
        rest_crop, rest_box = crop_group(ink, labels, [b for b in group if b is not piece])
        index = _normalise(rest_crop, rest_box, found.reference, False, out)
        if index is not None:
            found.edges.append(_Edge(0, 1, index, rest_box, piece_dropped=True))
    return found


@dataclass(frozen=True)
class CutSpan:
    """Two cuts of one family with ink between them, before the piece is cut out: the cuts'
    positions (as CutPiece's), their paths (None: the group's edge) and what the piece's box can
    be at most, `width` (the columns the paths span) by `height` (the rows with ink between them)."""

    start: int
    stop: int
    left: np.ndarray | None
    right: np.ndarray | None
    width: int
    height: int


def cut_spans(pixels: np.ndarray, typical: float) -> list[tuple[int, list[CutSpan]]]:
    """Per family of cut paths (cuts.py: upright, or along one slant), its right edge's position
    (n + 1: its number of paths plus one) and every pair of its cuts whose piece the search may
    read: up to MAX_WIDTH wide, ink in at least PRUNE of the typical height between them, never
    the whole group. `pixels`: a group's ink, uint8 (H, W)."""
    mask = pixels >= CONNECT_LEVEL
    families = cut_families(mask, max(2, round(MIN_WIDTH * typical)))
    # ink per row left of each column: how tall the ink between two cuts is at most, found
    # before cut_out (which only ever takes ink away), so pieces too short are never cut out
    before = np.zeros((mask.shape[0], mask.shape[1] + 1), np.int32)
    np.cumsum(mask, axis=1, out=before[:, 1:])
    rows = np.arange(mask.shape[0])
    found = []
    for paths in families:
        bounds = [None, *paths, None]
        last = len(paths) + 1
        centres = [0.0, *(float(p.mean()) for p in paths), float(pixels.shape[1])]
        pairs = [
            (i, j)
            for i in range(last)
            for j in range(i + 1, last + 1)
            if (i, j) != (0, last) and (j == i + 1 or centres[j] - centres[i] <= MAX_WIDTH * typical)
        ]
        spans = []
        if pairs:  # the rows with ink between each pair of cuts, all pairs in one numpy pass
            edges = np.stack([np.zeros_like(rows), *paths, np.full_like(rows, mask.shape[1])])
            ink_left = before[rows, edges]  # (cuts, H): ink per row left of each cut
            starts, stops = np.array(pairs).T
            inked = ink_left[stops] > ink_left[starts]  # (pairs, H)
            top, bottom = inked.argmax(axis=1), mask.shape[0] - inked[:, ::-1].argmax(axis=1)
            heights = np.where(inked.any(axis=1), bottom - top, 0).tolist()
            lefts = [0, *(int(p.min()) for p in paths)]  # as cut_out crops
            rights = [0, *(int(p.max()) for p in paths), mask.shape[1]]
            for (i, j), height in zip(pairs, heights):
                if height > 0 and height >= PRUNE * typical:
                    spans.append(CutSpan(i, j, bounds[i], bounds[j], rights[j] - lefts[i], height))
        found.append((last, spans))
    return found


@dataclass(frozen=True)
class CutPiece:
    """The ink between two cuts of one family: cut positions `start` < `stop` among the family's
    0 (the group's left edge), 1 ... n (its paths) and n + 1 (its right edge)."""

    start: int
    stop: int
    ink: np.ndarray  # uint8 levels, cropped to `box`
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the group's crop


def cut_piece(pixels: np.ndarray, span: CutSpan, typical: float) -> CutPiece | None:
    """The piece of `span` cut out of `pixels`, or None when what is left is under PRUNE tall."""
    piece = cut_out(pixels, span.left, span.right)
    if piece is None or piece[1][3] - piece[1][1] < PRUNE * typical:
        return None
    return CutPiece(span.start, span.stop, *piece)


def cut_pieces(
    pixels: np.ndarray, typical: float, limit: int = MAX_CANDIDATES
) -> list[tuple[int, list[CutPiece]]]:
    """Per family of cut paths (cut_spans), its right edge's position and every piece between two
    of its cuts that the search reads: up to MAX_WIDTH wide, at least PRUNE tall (of the typical
    digit height), never the whole group; `limit` pieces at most. `pixels`: a group's ink, uint8 (H, W)."""
    found = []
    for last, spans in cut_spans(pixels, typical):
        if limit <= 0:
            break
        pieces: list[CutPiece] = []
        for span in spans:
            if len(pieces) >= limit:
                break
            if (piece := cut_piece(pixels, span, typical)) is not None:
                pieces.append(piece)
        limit -= len(pieces)
        found.append((last, pieces))
    return found


def _capped(families: list[tuple[int, list]], limit: int) -> list[tuple[int, list]]:
    """`families` with `limit` items at most, in order; the families after the limit left out."""
    kept = []
    for last, items in families:
        if limit <= 0:
            break
        kept.append((last, items))
        limit -= len(items)
    return kept


def _add_cuts(
    group: _Group, typical: int, out: list, spent: int = 0, uncut: tuple[list[float], CutBound] | None = None
) -> int:
    """Candidate cuts through a group, and every piece between two cuts of one family (cut_pieces)
    as an edge of its search. Each family gets its own cut positions, numbered after the previous
    family's, so every edge still runs from a lower position to a higher one; families share the
    group's edges. A piece two families cut alike is normalised and read once. `uncut`: the
    scores of the group's edges so far and the bound on a cut piece's: pieces on no path that
    could beat the best of those are left out, unread, most of them not even cut out
    (_unbeaten). Returns how many were."""
    pixels = np.asarray(group.crop)
    limit = MAX_CANDIDATES - len(out) - spent
    if uncut is None:
        families = cut_pieces(pixels, typical, limit)
    else:  # spans, not pieces, count against the limit: it binds a little sooner, never later
        families = _capped(cut_spans(pixels, typical), limit)
    if not families:
        return 0
    stop = sum(last - 1 for last, _ in families) + 1
    group.edges = [replace(e, stop=stop) for e in group.edges]
    group.stop = stop
    cuts = []  # (start, stop, piece or span, cut_after) of every family, in order
    first = 0  # the family's cut positions are first + 1 ... first + n
    for last, items in families:
        positions = [0, *range(first + 1, first + last), stop]
        cuts += [(positions[p.start], positions[p.stop], p, p.stop < last) for p in items]
        first += last - 1
    kept = cuts if uncut is None else _unbeaten(group, pixels, typical, cuts, *uncut)
    seen: dict[tuple, int | None] = {}
    for start, stop_at, piece, cut_after in kept:
        index = _cut_segment(group, piece, seen, out)
        if index is not None:
            group.edges.append(_Edge(start, stop_at, index, out[index].box, True, cut_after))
    return len(cuts) - len(kept)


def _unbeaten(
    group: _Group,
    pixels: np.ndarray,
    typical: float,
    spans: list[tuple],
    scores: list[float],
    bound: CutBound,
) -> list[tuple]:
    """The pieces of `spans` on some path through the group that could score at least the best of
    its uncut edges (`scores`, each from 0 to the group's stop), cut out. First every span at the
    most its box allows (CutBound.most): a span on no such path is left out uncut. The others are
    cut out and bounded by their boxes, and the test is made again: a piece that passes the first
    but fails this one is left out too. The spans left out the first time, at their looser bounds,
    are on no path that reaches the floor, so they change nothing of the second test: the pieces
    kept are those the exact bounds of all of them would keep."""
    x0, y0 = group.box[:2]
    after = np.array([a for _, _, _, a in spans], bool)
    width, height = np.array([(s.width, s.height) for _, _, s, _ in spans]).reshape(-1, 2).T
    loose = bound.most_of(width, height, after)
    floor = max(scores) - 1e-9  # a hair under: rounding must never drop a piece that ties
    first = _reaching(group.stop, spans, loose.tolist(), scores, floor)
    cut: dict[int, tuple] = {}
    for k in sorted(first):
        a, b, span, cut_after = spans[k]
        piece = cut_piece(pixels, span, typical)
        if piece is not None:
            cut[k] = (a, b, piece, cut_after)
    best = loose.copy()
    if cut:  # the pieces cut out, at their boxes (in the drawing)
        boxes = np.array([cut[k][2].box for k in cut]) + (x0, y0, x0, y0)
        best[list(cut)] = bound.of_boxes(boxes, after[list(cut)])
    best = best.tolist()
    # pieces that came out empty or too short are no edges at all, as if never found
    live = [k for k in range(len(spans)) if k in cut or k not in first]
    second = _reaching(group.stop, [spans[k] for k in live], [best[k] for k in live], scores, floor)
    return [cut[live[i]] for i in sorted(second) if live[i] in cut]


def _reaching(
    stop: int, cuts: list[tuple], bounds: list[float], scores: list[float], floor: float
) -> set[int]:
    """The indices of `cuts` (start, stop, ...) on some path from 0 to `stop` that scores at least
    `floor`, each cut at its bound and the uncut edges (0 to `stop`) at their `scores`: forwards
    and backwards over the cut positions."""
    edges = [(0, stop, s) for s in scores] + [(a, b, s) for (a, b, _, _), s in zip(cuts, bounds)]
    ahead = [-math.inf] * (stop + 1)  # the most a path from 0 to each position can score
    ahead[0] = 0.0
    for a, b, s in sorted(edges, key=lambda e: e[1]):
        ahead[b] = max(ahead[b], ahead[a] + s)
    behind = [-math.inf] * (stop + 1)  # ... from each position to the stop
    behind[stop] = 0.0
    for a, b, s in sorted(edges, key=lambda e: -e[0]):
        behind[a] = max(behind[a], s + behind[b])
    return {k for k, (cut, s) in enumerate(zip(cuts, bounds)) if ahead[cut[0]] + s + behind[cut[1]] >= floor}


def _cut_segment(group: _Group, piece: CutPiece, seen: dict, out: list) -> int | None:
    """The candidate of a cut piece (an index into `out`), or None when it has no ink; the same
    ink cut out before gives the same candidate."""
    x0, y0, x1, y1 = piece.box
    key = (x0, y0, x1, y1, piece.ink.tobytes())
    if key not in seen:
        box = (group.box[0] + x0, group.box[1] + y0, group.box[0] + x1, group.box[1] + y1)
        seen[key] = _normalise(Image.fromarray(piece.ink), box, group.reference, True, out)
    return seen[key]


def _normalise(
    crop: Image.Image, box: tuple[int, int, int, int], reference: float | None, cut: bool, out: list
) -> int | None:
    """Normalise a candidate and append it to `out`; its index there, or None for no ink."""
    image = normalize_digit(crop, reference=reference)
    if image is None:
        return None
    out.append(Segment(image, box, cut))
    return len(out) - 1


def _classify(
    classifier: Classifier, reader: NumberReader, candidates: list[Segment], moves: bool = False
) -> tuple[np.ndarray, ...]:
    """Probabilities (N, 10), energies (N,), the whole-digit check's log-probabilities (N,;
    zeros without the check), the not-a-digit check's part of the score (N,) and, with `moves`,
    the logits over each one's one-pixel moves ((N, 10); NaN without), in one batch."""
    x = torch.from_numpy(np.stack([c.image for c in candidates]))[:, None]  # (N, 1, 28, 28)
    # One pass each, not the five one-pixel moves the chosen digits get: the path weights and
    # the energy medians were learned on one pass, and five read the numbers no better.
    logits, moved, whole, digit = reader.read(classifier, x, moves)
    if moved is None:
        moved = np.full((len(candidates), logits.shape[1]), np.nan, np.float32)
    return (
        softmax(logits),
        logsumexp(logits),
        np.zeros(len(candidates), np.float32) if whole is None else whole,
        digit,
        moved,
    )


def best_path(steps: Sequence[Step], stop: int, weights: np.ndarray) -> list[int]:
    """The candidates along the best path through a group's search, from its left edge (0) to
    its right (`stop`): the highest sum of the steps' features times `weights` (Viterbi)."""
    score = [0.0] + [-math.inf] * stop
    back: list[Step | None] = [None] * (stop + 1)
    for step in sorted(steps, key=lambda e: e.stop):  # steps into j before steps out of j
        total = score[step.start] + float(step.features @ weights)
        if total > score[step.stop]:
            score[step.stop], back[step.stop] = total, step
    chosen, at = [], stop
    while at > 0 and back[at] is not None:
        step = back[at]
        if step.candidate is not None:
            chosen.append(step.candidate)
        at = step.start
    return chosen[::-1]
