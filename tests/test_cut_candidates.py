"""The whole-digit check's training pieces: what reading's own cuts make of two touching digits,
labelled by whose ink each piece holds.

python -m pytest tests/test_cut_candidates.py
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model import load_classifier
from model.numbers.training.cut_candidates import load_cut_candidates, pair_pieces
from model.numbers.whole_digit import WHOLE
from model.synth.sketches import DIGIT_STROKES
from model.training.data import load_mnist
from tests.test_cuts import draw


@pytest.fixture(scope="module")
def clf():
    return load_classifier(device="cpu")


def ink_of(digit: int) -> np.ndarray:
    """A hand-drawn digit's ink (float coverage), cropped to it, about 70 px tall."""
    cover = draw(DIGIT_STROKES[digit], (380, 160))[::3, ::3]
    rows, cols = np.flatnonzero(cover.max(axis=1) > 0.1), np.flatnonzero(cover.max(axis=0) > 0.1)
    return cover[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


@pytest.mark.parametrize("pair", ["47", "35", "20", "86"])
def test_pieces_labelled_one_digit_are_one_of_the_two_and_the_rest_are_not(clf, pair):
    first, second = (int(d) for d in pair)
    whole, rest = [], []
    for seed in range(3):
        for image, label in pair_pieces(ink_of(first), ink_of(second), np.random.default_rng(seed)):
            (whole if label == WHOLE else rest).append(image)
    assert whole and rest, "a touching pair gives both kinds of piece"
    reads = clf.predict_proba(torch.from_numpy(np.stack(whole))[:, None])
    assert set(reads.argmax(1).tolist()) <= {first, second}  # each is the one digit or the other
    assert all(image.shape == (28, 28) and image.max() > 0.5 for image in whole + rest)
    # a piece that is not one digit holds a part of one, or bits of both: never all of one
    # digit and nothing of the other, so none of them is pixel for pixel a whole piece
    assert not any(np.array_equal(a, b) for a in rest for b in whole)


def test_the_pieces_are_the_same_under_a_seed_and_come_back_from_their_cache(tiny_mnist, tmp_path):
    x, y = load_mnist(tiny_mnist, train=True, download=False)
    a, a_labels = load_cut_candidates(x, y, 20, seed=0, cache_dir=tmp_path)
    built = []
    b, b_labels = load_cut_candidates(x, y, 20, seed=0, cache_dir=tmp_path, on_build=lambda: built.append(1))
    c, _ = load_cut_candidates(x, y, 20, seed=1, cache_dir=None)
    assert a.dtype == torch.uint8 and a.shape[1:] == (28, 28) and len(a) == len(a_labels) >= 20
    assert torch.equal(a, b) and torch.equal(a_labels, b_labels) and not built  # from the cache
    assert len(c) != len(a) or not torch.equal(a, c)  # another seed, other pairs
    assert set(a_labels.tolist()) == {0, 1}
    d, d_labels = load_cut_candidates(x, y, 20, seed=0, cache_dir=None, workers=2)
    assert torch.equal(a, d) and torch.equal(a_labels, d_labels)  # made in two processes: the same
