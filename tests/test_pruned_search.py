"""Reading leaves out the cut pieces that cannot win (priors.CutBound), and reads the same.

python -m pytest tests/test_pruned_search.py

The oracle is the full search (every cut piece read, as training and bench.multidigit use it):
on touching and leaning digits, the pruned one must choose the same digits in the same places,
for the pen-up frame and for the pad's live frames (max_digits), while reading fewer pieces; a
live frame's search leaves out the cuts its digits cannot hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import load_classifier
from model.numbers import default_reader, search
from model.numbers.priors import CutBound
from model.numbers.segmentation import best_paths
from model.synth.sketches import DIGIT_STROKES, Placement, coverage, paint, polyline_points

CANVAS = (640, 320)


def touching(digits: str, step: float, slant: float = 0.0) -> np.ndarray:
    """Digits 200 px tall whose centres are `step` px apart (under a digit's width: they touch)."""
    total = np.zeros(CANVAS[::-1], np.float32)
    for k, d in enumerate(digits):
        points = polyline_points(DIGIT_STROKES[int(d)], spacing=0.01)
        points[:, 0] += slant * (1 - points[:, 1])  # lean right at the top
        centre = (140 + k * step, 160)
        total = np.maximum(total, coverage(points, Placement(CANVAS, centre, 200, 0, 14)))
    return np.asarray(paint(total, "gray"))


DRAWINGS = [
    touching(digits, step, slant)
    for digits in ("20", "35", "17", "48", "06", "127", "59")
    for step, slant in ((95, 0.0), (80, 0.0), (90, 0.25))
]


@pytest.fixture(scope="module")
def clf():
    return load_classifier(device="cpu")


@pytest.fixture(scope="module")
def full_searches(clf) -> list:
    """The oracle: the full search of each of DRAWINGS, made once for the tests that compare."""
    return [search(drawing, clf, default_reader(clf.device)) for drawing in DRAWINGS]


def chosen(found, weights, max_digits):
    """What the best paths read: each digit and where it was drawn."""
    picked = best_paths(found.groups, found.stops, weights, max_digits)
    if picked is None:
        return None
    return [(int(found.probs[i].argmax()), found.candidates[i].box) for i in picked]


def test_the_pruned_search_reads_what_the_full_one_reads_from_fewer_pieces(clf, full_searches):
    reader = default_reader(clf.device)
    read_full = read_pruned = 0
    for drawing, full in zip(DRAWINGS, full_searches):
        pruned = search(drawing, clf, reader, prune=True)
        for max_digits in (None, 1, 2, 3):
            assert chosen(pruned, reader.vector, max_digits) == chosen(full, reader.vector, max_digits)
        read_full += len(full.candidates)
        read_pruned += len(pruned.candidates)
    assert read_pruned < 0.7 * read_full, (read_pruned, read_full)


def test_a_live_frame_searches_only_the_cuts_its_digits_can_hold(clf, full_searches):
    """The pad's live frames come with max_digits (what its strokes can hold): a cut reads two
    digits or more, so a frame that may hold one is never cut, and one that may hold two is cut
    only where the other groups can leave room. The digits chosen are the full search's."""
    reader = default_reader(clf.device)
    for drawing, full in zip(DRAWINGS, full_searches):
        for max_digits in (1, 2, 3):
            bounded = search(drawing, clf, reader, prune=True, max_digits=max_digits)
            if max_digits == 1:  # one digit at most: no cut piece read at all
                assert len(bounded.candidates) == len([c for c in full.candidates if not c.cut])
            assert chosen(bounded, reader.vector, max_digits) == chosen(full, reader.vector, max_digits)


def test_a_pieces_bound_before_it_is_cut_out_is_never_under_its_bound_after(clf):
    """A piece is left uncut when even the most its span allows (CutBound.most: the columns its
    cuts span, the rows with ink between them) cannot win; its box once cut is within that span,
    so its exact bound must never be higher, whatever the signs of the learned weights."""
    reader = default_reader(clf.device)
    rng = np.random.default_rng(0)
    for trial in range(12):
        # the shipped weights, then each weight's sign flipped at random (weights learnt anew)
        weights = reader.vector * (1 if trial == 0 else rng.choice([-1.0, 1.0], reader.vector.shape))
        typical = float(rng.uniform(20, 200))
        for doubted, after in ((False, False), (True, True)):
            bound = CutBound(weights, reader.learned, typical, doubted=doubted, group_whole=-1.0)
            for _ in range(5):
                width, height = (int(v) for v in rng.integers(1, 4 * typical, 2))
                most = bound.most(width, height, after)
                for w in np.unique(np.linspace(1, width, 15).astype(int)):
                    for h in np.unique(np.linspace(1, height, 6).astype(int)):
                        assert bound((5, 7, 5 + w, 7 + h), after) <= most, (trial, width, height, w, h)
