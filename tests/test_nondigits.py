"""The not-a-digit drawings (model/synth/nondigits.py) that bench/nondigits.py measures on.

.venv/bin/python -m pytest tests/test_nondigits.py -q
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from model import preprocess
from model.synth import outliers
from model.synth.nondigits import (
    EXCLUDED_LETTERS,
    FONTS,
    KINDS,
    PAD_BRUSH,
    PAD_CANVAS,
    SPLITS,
    UPLOAD_STYLES,
    WORDS,
    drawings,
)
from model.synth.sketches import STYLES, brush_coverage, polyline_points
from ui.pad import BRUSH, CANVAS


def fingerprint(d) -> str:
    digest = hashlib.sha256(f"{d.canvas} {d.brush} {d.style}".encode())
    for s in d.strokes:
        digest.update(np.ascontiguousarray(s).tobytes())
    return digest.hexdigest()


def every_item(split: str):
    """One drawing of each item of each kind (the items come in turn)."""
    most = max(len(FONTS[split][k]) for k in KINDS)
    seen = set()
    for d in drawings(split, per_kind=most):
        if (d.kind, d.item) not in seen:
            seen.add((d.kind, d.item))
            yield d


def test_the_same_seed_draws_the_same_drawings_and_another_seed_others():
    first = [fingerprint(d) for d in drawings("tune", per_kind=8)]
    assert first == [fingerprint(d) for d in drawings("tune", per_kind=8)]
    other = [fingerprint(d) for d in drawings("tune", per_kind=8, seed=7)]
    assert not set(first) & set(other)


def test_the_tune_and_test_splits_share_no_drawing_and_no_shape():
    tune = {fingerprint(d) for d in drawings("tune", per_kind=60)}
    test = {fingerprint(d) for d in drawings("test", per_kind=60)}
    assert len(tune) == len(test) == 180 and not tune & test
    for kind in KINDS:  # another hand-made design of each item ("font B"), not just other noise
        a, b = FONTS["tune"][kind], FONTS["test"][kind]
        for item in set(a) & set(b):
            if not callable(a[item]):
                assert [s.tolist() for s in a[item]] != [s.tolist() for s in b[item]], item


@pytest.mark.parametrize("split", SPLITS)
def test_every_item_draws_ink_inside_its_canvas(split):
    kinds = set()
    for d in every_item(split):
        kinds.add(d.kind)
        w, h = d.canvas
        points = np.vstack(d.strokes)
        r = d.brush / 2
        assert points[:, 0].min() - r >= 0 and points[:, 0].max() + r <= w, d.item
        assert points[:, 1].min() - r >= 0 and points[:, 1].max() + r <= h, d.item
        covered = brush_coverage(polyline_points([s.tolist() for s in d.strokes], 0.5), d.canvas, d.brush)
        assert covered.sum() > 20 * d.brush, f"{d.item} drew (almost) no ink"
    assert kinds == set(KINDS)


def test_no_letter_written_as_a_digit_is_ever_drawn():
    for split in SPLITS:
        letters = set(FONTS[split]["letters"])
        assert not letters & EXCLUDED_LETTERS
        for word in WORDS[split]:
            assert set(word) <= letters, word
        drawn = {d.item for d in drawings(split, per_kind=60) if d.kind == "letters"}
        assert drawn == letters
    assert {"O", "I", "l", "S", "Z", "B", "G", "q", "T"} <= EXCLUDED_LETTERS


def test_drawings_use_the_pads_canvas_and_brush_and_the_sketch_styles():
    assert (PAD_CANVAS, PAD_BRUSH) == (CANVAS, BRUSH)
    assert set(UPLOAD_STYLES) <= set(STYLES)
    styles = {d.style for d in drawings("test", per_kind=60)}
    assert "pad" in styles and styles - {"pad"} == set(UPLOAD_STYLES)
    pad = [d for d in drawings("test", per_kind=60) if d.style == "pad"]
    assert all(d.canvas == CANVAS and d.brush == BRUSH for d in pad)


# ---- the made-up non-digits the whole-digit check learns from (model/synth/outliers.py) ----------
def test_made_up_non_digits_use_no_letter_written_as_a_digit_and_no_digit():
    assert not set(outliers.GLYPHS) & EXCLUDED_LETTERS
    assert not set(outliers.GLYPHS) & set("0123456789")
    assert set(outliers.LATIN) == set(FONTS["tune"]["letters"])  # nondigits.py's kept letters, no more
    drawn = {outliers.outlier(np.random.default_rng([0, i]))[1] for i in range(60)}
    glyphs = {name.removeprefix("glyph ") for name in drawn if name.startswith("glyph ")}
    assert glyphs and all(set(g) <= set(outliers.GLYPHS) for g in glyphs)
    assert drawn - {f"glyph {g}" for g in glyphs} <= set(outliers.DOODLES)


def test_doodles_that_pass_for_a_digit_are_never_made():
    t = np.linspace(0, 2 * np.pi, 40)
    ring = [np.stack([np.cos(t), 1.4 * np.sin(t)], axis=1)]
    bar = [np.array([[0.5, 0.0], [0.55, 1.0]])]
    assert outliers.looks_like_a_digit(ring)  # a 0
    assert outliers.looks_like_a_digit(bar)  # a 1
    assert outliers.looks_like_a_digit([np.array([[0, 0], [1, 0.05]]), np.array([[0, 0.1], [1, 0.12]])])  # =
    burst = outliers.spiky_polygon(np.random.default_rng(1))
    assert not outliers.looks_like_a_digit(burst)
    for i in range(300):
        rng = np.random.default_rng(i)
        for make in outliers.DOODLES.values():
            shape = make(rng)
            assert len(shape) > 1 or len(shape[0]) > 3, make  # never one straight stroke
    for i in range(40):  # what is drawn passed the filter
        points, _ = outliers._doodle(np.random.default_rng(i))
        assert np.ptp(points, axis=0).min() > 0.15 * np.ptp(points, axis=0).max()


def test_near_misses_come_from_every_family_and_are_a_bank_of_their_own():
    drawn = {outliers.outlier(np.random.default_rng([0, i]), "near misses")[1] for i in range(60)}
    assert drawn == set(outliers.NEAR_MISSES)
    bank = outliers.outlier_bank(4, seed=3, family="near misses")
    assert bank.shape == (4, 28, 28) and bank.any(axis=(1, 2)).all()  # each read as ink
    assert not np.array_equal(bank, outliers.outlier_bank(4, seed=3))  # not the glyphs and doodles


def test_the_bank_is_what_reading_sees_of_each_drawing_and_the_same_for_a_seed():
    bank = outliers.outlier_bank(6, seed=3)
    assert bank.shape == (6, 28, 28) and bank.dtype == np.uint8
    assert np.array_equal(bank, outliers.outlier_bank(6, seed=3))
    assert not np.array_equal(bank, outliers.outlier_bank(6, seed=4))
    first = preprocess(outliers.outlier(np.random.default_rng([3, 0]))[0])
    assert np.array_equal(bank[0], np.round(first[0].numpy() * 255).astype(np.uint8))
