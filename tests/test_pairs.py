"""What the whole-digit check learns is not one digit: touching pairs of training digits and
straight cuts of them (model/numbers/training/pairs.py), made alike under a seed and cached.

python -m pytest tests/test_pairs.py
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from model.drawing.mnist_style import normalize_digit
from model.numbers.training.pairs import NOT_ONE_DIGIT, enlarge, load_pairs, make_sample, pair
from model.training.data import load_mnist


def digits(data_dir, train_set: bool = True) -> tuple[np.ndarray, np.ndarray]:
    x, y = load_mnist(data_dir, train=train_set, download=False)
    return x.numpy(), y.numpy()


def test_the_bank_is_the_same_under_a_seed_and_comes_back_from_its_cache(tiny_mnist, tmp_path):
    x, y = digits(tiny_mnist)
    a, a_labels = load_pairs(x, y, 60, seed=0, cache_dir=tmp_path)
    built = []
    b, b_labels = load_pairs(x, y, 60, seed=0, cache_dir=tmp_path, on_build=lambda: built.append(1))
    c, _ = load_pairs(x, y, 60, seed=1, cache_dir=None)
    assert a.shape == (60, 28, 28) and a.dtype == torch.uint8
    assert torch.equal(a, b) and torch.equal(a_labels, b_labels) and not built  # from the cache
    assert not torch.equal(a, c)
    assert (a.flatten(1).amax(1) > 0).all()  # every sample has ink
    outliers = int((a_labels == NOT_ONE_DIGIT).sum())
    assert 30 <= outliers < 60 and set(a_labels[a_labels >= 0].tolist()) <= set(range(10))  # and pieces


def test_two_digits_of_a_pair_touch(tiny_mnist):
    x, _ = digits(tiny_mnist)
    rng = np.random.default_rng(0)
    for _ in range(20):
        first, second = enlarge(x[int(rng.integers(300))], rng), enlarge(x[int(rng.integers(300))], rng)
        ink, (left_end, right_start, right_end) = pair(first, second, rng)
        pieces = ndimage.label(first > 0.5)[1] + ndimage.label(second > 0.5)[1]
        assert ndimage.label(ink > 0.5)[1] < pieces  # the strokes of the two meet
        assert right_start <= left_end + 1 < right_end  # side by side, overlapping or just touching
        assert ink.shape[1] >= max(first.shape[1], second.shape[1])


def test_samples_are_normalised_as_segments_are(tiny_mnist):
    """The 28x28 a candidate segment gets in model/numbers/segmentation.py: normalize_digit of its ink."""
    x, y = digits(tiny_mnist)
    for kind in ("pair", "slice", "fragment", "piece"):
        image, label = make_sample(x, y, np.random.default_rng(5), kind)
        again, _ = make_sample(x, y, np.random.default_rng(5), kind)
        assert image.shape == (28, 28) and np.array_equal(image, again)
        assert (label == NOT_ONE_DIGIT) == (kind != "piece")
        rows, cols = np.flatnonzero(image.max(1) > 0), np.flatnonzero(image.max(0) > 0)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21)  # MNIST's 20 px box
        renormalised = normalize_digit(Image.fromarray(np.round(image * 255).astype(np.uint8)))
        assert np.abs(renormalised - image).mean() < 0.05  # already in the form segments take
