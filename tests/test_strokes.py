"""Digits drawn as the pad draws them: traced strokes, the round brush, the app's normalisation,
the cached bank, and how training picks drawings or scans.

python -m pytest tests/test_strokes.py
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from model.drawing.mnist_style import normalize_digit
from model.synth.sketches import DIGIT_STROKES, Placement, coverage, polyline_points
from model.training import pad as pad_module
from model.training import strokes as strokes_module
from model.training.augment import Augment, pick_views
from model.training.pad import PadConfig, draw, load_drawn, render_bank
from model.training.strokes import Stroke, Strokes, load_strokes, trace

# a hand with no wobble, no run-on, every junction closed: the brush alone
STEADY = PadConfig(height_px=(100.0, 100.0), brush=(0.1, 0.1), wobble=0.0, tip=(0.0, 0.0), rejoin_exact=1.0)


def scanned(strokes: list[list[tuple[float, float]]], brush: float = 26.0) -> np.ndarray:
    """A hand-made digit as a scan-like 28x28 uint8 image (via the app's normalisation)."""
    place = Placement((280, 280), (140.0, 140.0), 200.0, 0.0, brush)
    ink = coverage(polyline_points(strokes, spacing=0.01), place)
    return np.round(normalize_digit(_image(ink)) * 255).astype(np.uint8)


def _image(ink: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.round(ink * 255).astype(np.uint8))


def hand_made_strokes(digits: list[int]) -> Strokes:
    """Hand-made digits (model/synth/sketches.py) as Strokes, 20 px tall like MNIST's."""
    out = []
    for d in digits:
        lines = [np.asarray(s, np.float32) * 20 + [10, 4] for s in DIGIT_STROKES[d]]
        out.append([Stroke(p, closed=bool(np.allclose(p[0], p[-1]))) for p in lines])
    return Strokes.pack(out)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    return float((image * ys).sum() / image.sum()), float((image * xs).sum() / image.sum())


def test_a_straight_stroke_becomes_ink_of_the_brush_width_with_round_ends():
    line = [Stroke(np.array([[4.0, 14.0], [24.0, 14.0]], np.float32))]  # 20 px long at 28x28
    ink = draw(line, np.random.default_rng(0), STEADY)  # 100 px digit height: 5 px per 28x28 px
    diameter = 0.1 * 100
    across = ink[:, ink.shape[1] // 2].sum()  # ink in a column cutting the stroke
    assert across == pytest.approx(diameter, abs=0.3)
    along = ink[ink.shape[0] // 2].sum()  # ink along the stroke: its length plus two round caps
    assert along == pytest.approx(20 * 5 + diameter, abs=1.0)
    # round, not square, ends: the corner of the square cap around each end stays empty
    row, col = np.nonzero(ink > 0.5)
    corner = ink[row.min(), col.min()], ink[row.max(), col.max()]
    assert max(corner) < 0.1


def test_a_wider_brush_gives_proportionally_more_ink():
    line = [Stroke(np.array([[4.0, 14.0], [24.0, 14.0]], np.float32))]
    thin = draw(line, np.random.default_rng(0), STEADY)
    thick = draw(line, np.random.default_rng(0), replace(STEADY, brush=(0.2, 0.2)))
    across_thin, across_thick = (ink[:, ink.shape[1] // 2].sum() for ink in (thin, thick))
    assert across_thick == pytest.approx(2 * across_thin, rel=0.05)


def test_tracing_a_scanned_digit_finds_its_centre_line():
    zero = trace(scanned(DIGIT_STROKES[0]))
    assert len(zero) == 1 and zero[0].closed  # a 0 is one loop
    one = trace(scanned(DIGIT_STROKES[1]))
    assert len(one) == 1 and not one[0].closed and one[0].free_ends == (True, True)
    span = np.ptp(one[0].points[:, 1])  # a 1 drawn 20 px tall, round ends trimmed
    assert 14 < span < 20
    four = trace(scanned(DIGIT_STROKES[4]))  # two strokes that cross: a junction
    assert any(not all(s.free_ends) for s in four)


def test_drawn_digits_normalise_like_drawings_in_the_app():
    bank = render_bank(hand_made_strokes(list(range(10))), variants=3, seed=0)
    assert bank.shape == (10, 3, 28, 28) and bank.dtype == np.uint8
    for image in bank.reshape(-1, 28, 28).astype(np.float32) / 255:
        cy, cx = centre_of_mass(image)
        assert abs(cy - 14) < 0.75 and abs(cx - 14) < 0.75  # placed by mass, to the nearest pixel
        rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20  # MNIST's 20 px box


def test_drawings_vary_the_hand_but_keep_the_digit():
    """Each drawing differs (wobble, tips, loop closings, brush), yet the shipped classifier
    still reads every one of them."""
    from model import load_classifier

    bank = render_bank(hand_made_strokes(list(range(10))), variants=4, seed=0)
    flat = torch.from_numpy(bank).float().div(255).view(40, 1, 28, 28)
    per_digit = flat.view(10, 4, 784)
    assert all(torch.pdist(per_digit[d]).min() > 0.5 for d in range(10))
    predictions = load_classifier(device="cpu").predict_proba(flat).argmax(1).view(10, 4)
    assert (predictions == torch.arange(10)[:, None]).float().mean() >= 0.95


def test_drawings_are_the_same_for_a_seed_and_differ_for_another():
    strokes = hand_made_strokes([2, 3, 8])
    a, b = render_bank(strokes, 2, seed=1), render_bank(strokes, 2, seed=1)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_bank(strokes, 2, seed=2))
    # digit i's drawings depend on (seed, i) only, not on the digits after it
    assert np.array_equal(render_bank(hand_made_strokes([2, 3]), 2, seed=1), a[:2])


def test_strokes_and_drawings_are_cached_by_the_images(tmp_path, monkeypatch):
    images = np.stack([scanned(DIGIT_STROKES[d]) for d in (0, 1, 7)])
    first = load_drawn(images, STEADY, 2, 0, tmp_path)
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["drawn", "strokes"]

    def no_tracing(*args):
        raise AssertionError("traced again instead of reading the cache")

    def no_drawing(*args):
        raise AssertionError("drew again instead of reading the cache")

    monkeypatch.setattr(strokes_module, "trace", no_tracing)
    monkeypatch.setattr(pad_module, "render_bank", no_drawing)
    assert torch.equal(load_drawn(images, STEADY, 2, 0, tmp_path), first)
    assert len(load_strokes(images, tmp_path)) == 3
    # other images, other caches: never the drawings of different digits
    with pytest.raises(AssertionError, match="traced again"):
        load_strokes(images[::-1].copy(), tmp_path)


def test_a_damaged_cache_is_made_again(tmp_path):
    images = np.stack([scanned(DIGIT_STROKES[d]) for d in (3, 5)])
    first = load_drawn(images, STEADY, 2, 0, tmp_path)
    for path in tmp_path.iterdir():
        path.write_bytes(b"not a safetensors file")
    assert torch.equal(load_drawn(images, STEADY, 2, 0, tmp_path), first)


def test_picking_takes_one_view_per_digit_with_the_asked_share():
    n, v = 4000, 5
    views = torch.arange(v, dtype=torch.uint8).view(1, v, 1, 1).expand(n, v, 28, 28).contiguous()
    picked = pick_views(views, 0.5, torch.Generator().manual_seed(0))
    assert picked.shape == (n, 28, 28) and picked.dtype == torch.uint8
    chosen = picked[:, 0, 0].long()
    assert torch.all(picked == chosen.view(n, 1, 1))  # whole images, never mixed pixels
    assert (chosen == 0).float().mean() == pytest.approx(0.5, abs=0.03)  # the scan half the time
    counts = torch.bincount(chosen, minlength=v)[1:].float()
    assert counts.min() / counts.max() > 0.85  # the drawings alike
    assert torch.all(pick_views(views, 0.0, torch.Generator().manual_seed(0)) == 0)
    assert torch.all(pick_views(views, 1.0, torch.Generator().manual_seed(0)) > 0)


def test_picking_and_augmenting_are_seeded():
    views = torch.rand(64, 5, 28, 28)

    def batch(seed: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        return Augment()(pick_views(views, 0.5, g)[:, None], g)

    assert torch.equal(batch(3), batch(3))
    assert not torch.equal(batch(3), batch(4))


class _CountOps(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_the_hot_path_is_batched_with_no_loop_over_images(share):
    """Picking views and augmenting 512 digits runs exactly as many torch operations as for 4:
    nothing is done image by image."""

    def ops(n: int) -> int:
        g = torch.Generator().manual_seed(0)
        views = torch.randint(0, 256, (n, 5, 28, 28), dtype=torch.uint8)
        with _CountOps() as counter:
            x = pick_views(views, share, g)[:, None].float().div(255)
            out = Augment()(x, g)
        assert out.shape == (n, 1, 28, 28)
        return counter.count

    assert ops(4) == ops(512)


@pytest.mark.slow
def test_drawing_in_several_processes_gives_the_same_bank(monkeypatch):
    strokes = hand_made_strokes([0, 1, 2, 3, 4, 5, 6])
    alone = render_bank(strokes, 2, seed=0)
    monkeypatch.setattr(pad_module, "CHUNK", 3)  # three pieces of work: 3 + 3 + 1 digits
    assert np.array_equal(render_bank(strokes, 2, seed=0, workers=2), alone)


def test_a_slice_of_strokes_holds_those_digits():
    strokes = hand_made_strokes([0, 4, 8, 9])
    part = strokes.slice(1, 3)
    assert len(part) == 2
    for mine, theirs in zip((part.digit(0), part.digit(1)), (strokes.digit(1), strokes.digit(2))):
        assert len(mine) == len(theirs)
        assert all(np.array_equal(a.points, b.points) and a.closed == b.closed for a, b in zip(mine, theirs))
