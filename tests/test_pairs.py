"""Outlier exposure: ink that is not one digit, made from training digits, and what training on it
does to the classifier.

python -m pytest tests/test_outliers.py
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from model import load_classifier
from model.drawing.mnist_style import normalize_digit
from model.training import train
from model.training.data import load_mnist
from model.training.outliers import NOT_ONE_DIGIT, enlarge, load_outliers, make_outlier, pair
from tests.test_training import tiny_config


def digits(data_dir, train_set: bool = True) -> tuple[np.ndarray, np.ndarray]:
    x, y = load_mnist(data_dir, train=train_set, download=False)
    return x.numpy(), y.numpy()


def test_the_bank_is_the_same_under_a_seed_and_comes_back_from_its_cache(tiny_mnist, tmp_path):
    x, y = digits(tiny_mnist)
    a, a_labels = load_outliers(x, y, 60, seed=0, cache_dir=tmp_path)
    built = []
    b, b_labels = load_outliers(x, y, 60, seed=0, cache_dir=tmp_path, on_build=lambda: built.append(1))
    c, _ = load_outliers(x, y, 60, seed=1, cache_dir=None)
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


def test_outliers_are_normalised_as_segments_are(tiny_mnist):
    """The 28x28 a candidate segment gets in model/segmentation.py: normalize_digit of its ink."""
    x, y = digits(tiny_mnist)
    for kind in ("pair", "slice", "fragment", "piece"):
        image, label = make_outlier(x, y, np.random.default_rng(5), kind)
        again, _ = make_outlier(x, y, np.random.default_rng(5), kind)
        assert image.shape == (28, 28) and np.array_equal(image, again)
        assert (label == NOT_ONE_DIGIT) == (kind != "piece")
        rows, cols = np.flatnonzero(image.max(1) > 0), np.flatnonzero(image.max(0) > 0)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (20, 21)  # MNIST's 20 px box
        renormalised = normalize_digit(Image.fromarray(np.round(image * 255).astype(np.uint8)))
        assert np.abs(renormalised - image).mean() < 0.05  # already in the form segments take


def test_training_on_outliers_makes_the_classifier_unsure_of_touching_pairs(tiny_mnist, tmp_path):
    x, y = digits(tiny_mnist, train_set=False)  # pairs of test digits: neither run saw them
    rng = np.random.default_rng(0)
    pairs = torch.from_numpy(np.stack([make_outlier(x, y, rng, "pair")[0] for _ in range(50)]))[:, None]
    singles = torch.from_numpy(x).float()[:, None] / 255
    sure, right = {}, {}
    for share in (0.0, 0.5):
        config = tiny_config(tiny_mnist, tmp_path / str(share), epochs=30, drawn_share=0, outlier_share=share)
        clf = load_classifier(train(config, log=None).weights_path, device="cpu")
        sure[share] = clf.predict_proba(pairs).amax(1).mean().item()
        right[share] = (clf.predict_proba(singles).argmax(1).numpy() == y).mean()
    assert sure[0.5] < sure[0.0] - 0.3, sure  # measured: 0.20 with outliers, 0.81 without
    assert right[0.5] > 0.9 and right[0.0] > 0.9, right  # single digits still read (both 100%)
