"""Batched augmentation: per-sample randomness, identity at zero strength, digits stay digits.

python -m pytest tests/test_augment.py
"""

from __future__ import annotations

import torch

from model import load_classifier
from model.training.augment import Augment, AugmentConfig, change_thickness
from tests.conftest import make_digits


def digits(n: int = 20, seed: int = 5) -> torch.Tensor:
    images, _ = make_digits(n, seed=seed)  # labels are i % 10
    return torch.from_numpy(images).float().div(255).unsqueeze(1)  # (n, 1, 28, 28)


def centre_of_mass(x: torch.Tensor) -> torch.Tensor:
    idx = torch.arange(28, dtype=torch.float32)
    mass = x.sum((1, 2, 3))
    cy = (x.sum(3).squeeze(1) * idx).sum(1) / mass
    cx = (x.sum(2).squeeze(1) * idx).sum(1) / mass
    return torch.stack([cy, cx], 1)


def test_zero_strength_is_the_identity():
    x = digits()
    out = Augment(AugmentConfig().scaled(0))(x, torch.Generator().manual_seed(0))
    assert torch.allclose(out, x, atol=1e-5)


def test_shape_dtype_and_range_are_kept():
    x = digits()
    out = Augment()(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= 0 and out.max() <= 1


def test_every_sample_gets_its_own_transform():
    x = digits(1).repeat(16, 1, 1, 1)  # the same digit 16 times
    out = Augment()(x, torch.Generator().manual_seed(0))
    flat = out.flatten(1)
    differences = torch.cdist(flat, flat)[~torch.eye(16, dtype=torch.bool)]
    assert differences.min() > 0.5  # no two copies came out alike


def test_same_generator_seed_gives_the_same_batch():
    x = digits()
    a = Augment()(x, torch.Generator().manual_seed(42))
    b = Augment()(x, torch.Generator().manual_seed(42))
    assert torch.equal(a, b)


def test_digits_stay_recognisable_centred_and_of_similar_ink():
    x = digits(50)
    out = Augment()(x, torch.Generator().manual_seed(1))
    ratio = out.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert ratio.min() > 0.4 and ratio.max() < 2.5  # zoom and pen width change the ink, within reason
    assert (centre_of_mass(out) - centre_of_mass(x)).abs().max() < 4.0
    # the shipped classifier (trained on other, real digits) still reads them
    clf = load_classifier(device="cpu")
    labels = torch.arange(50) % 10
    clean = (clf.predict_proba(x).argmax(1) == labels).float().mean()
    distorted = (clf.predict_proba(out).argmax(1) == labels).float().mean()
    assert clean >= 0.95 and distorted >= 0.9


def test_thickness_changes_ink_in_the_asked_direction():
    x = digits(10)
    thick = change_thickness(x, torch.full((10,), 1.0))
    thin = change_thickness(x, torch.full((10,), -1.0))
    assert torch.all(thick.sum((1, 2, 3)) > x.sum((1, 2, 3)))
    assert torch.all(thin.sum((1, 2, 3)) < x.sum((1, 2, 3)))
    assert torch.equal(change_thickness(x, torch.zeros(10)), x)
