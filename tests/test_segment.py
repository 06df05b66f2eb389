"""Reading several digits from one drawing (model/numbers): segmentation on constructed drawings.

python -m pytest tests/test_segment.py
"""

from __future__ import annotations

import numpy as np
import pytest

from model import load_classifier, preprocess
from model.reading import read_drawing
from model.synth.sketches import DIGIT_STROKES, Placement, coverage, paint, polyline_points

CANVAS = (900, 320)


def write(
    strokes_per_digit: list[list],
    heights: list[float] | None = None,
    baselines=None,
    gap: float = 40,
    brush: float = 14,
    canvas=CANVAS,
) -> np.ndarray:
    """Draw pieces side by side (each a list of strokes in DIGIT_STROKES' units), 8-bit grey."""
    heights = heights or [200.0] * len(strokes_per_digit)
    baselines = baselines or [0.0] * len(strokes_per_digit)
    total = np.zeros(canvas[::-1], np.float32)
    x = 80.0
    for strokes, height, shift in zip(strokes_per_digit, heights, baselines):
        points = polyline_points(strokes, spacing=0.01)
        width = float(np.ptp(points[:, 0])) / max(float(np.ptp(points[:, 1])), 1e-3) * height
        centre = (x + width / 2, canvas[1] / 2 + shift)
        total = np.maximum(total, coverage(points, Placement(canvas, centre, height, 0, brush)))
        x += width + gap
    return np.asarray(paint(total, "gray"))


@pytest.fixture(scope="module")
def clf():
    return load_classifier(device="cpu")


def test_a_number_is_read_left_to_right(clf):
    drawing = write([DIGIT_STROKES[d] for d in (2, 0, 2, 6)])
    reading = read_drawing(drawing, clf)
    assert reading.number == "2026"
    assert [d.box[0] for d in reading.digits] == sorted(d.box[0] for d in reading.digits)


def test_two_stroke_digits_stay_one_digit(clf):
    # a 4 whose strokes do not touch, a 5 with a detached flag, a 1 with a separate base
    four = [
        [(0.38, 0.0), (0.0, 0.64), (0.36, 0.64)],
        [(0.46, 0.22), (0.44, 1.0)],
        [(0.5, 0.64), (0.62, 0.64)],
    ]
    five = [
        [(0.12, 0.04), (0.06, 0.42), (0.35, 0.36), (0.58, 0.52), (0.6, 0.78), (0.38, 0.98), (0.0, 0.9)],
        [(0.2, 0.0), (0.6, 0.0)],
    ]
    one = [[(0.1, 0.15), (0.3, 0.0), (0.3, 0.92)], [(0.05, 1.0), (0.55, 1.0)]]
    drawing = write([four, five, one], gap=60)
    assert read_drawing(drawing, clf).number == "451"


def test_a_stray_dot_between_digits_is_dropped(clf):
    drawing = write([DIGIT_STROKES[7], DIGIT_STROKES[3]], gap=120)
    clean = read_drawing(drawing, clf).digits
    dotted = drawing.copy()
    dotted[250:256, 262:268] = 0  # a slip of the pen between the digits, near the baseline
    reading = read_drawing(dotted, clf)
    assert reading.number == "73"
    assert all(np.abs(a.image - b.image).max() < 1e-6 for a, b in zip(reading.digits, clean, strict=True))


def test_digits_of_different_heights_on_a_wavy_baseline(clf):
    drawing = write(
        [DIGIT_STROKES[d] for d in (1, 9, 8, 4)], heights=[210, 160, 190, 230], baselines=[-15, 20, 0, -25]
    )
    assert read_drawing(drawing, clf).number == "1984"


def test_a_small_mark_next_to_big_digits_is_no_digit(clf):
    mark = [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]]  # a small box drawn as a mark
    drawing = write([DIGIT_STROKES[4], mark, DIGIT_STROKES[2]], heights=[220, 50, 220], gap=70)
    reading = read_drawing(drawing, clf)
    assert reading.number == "42"
    assert all(np.flatnonzero(d.image.max(axis=1) > 0).size >= 19 for d in reading.digits)  # full size


def test_one_digit_gives_exactly_what_preprocess_gives(clf):
    drawing = write([DIGIT_STROKES[7]])
    (only,) = read_drawing(drawing, clf).digits
    assert np.array_equal(only.image, preprocess(drawing)[0].numpy())


@pytest.mark.parametrize("blank", [np.full((320, 900), 255, np.uint8), np.zeros((10, 10), np.uint8)])
def test_nothing_at_all_gives_nothing(clf, blank):
    assert read_drawing(blank, clf).digits == ()


@pytest.mark.parametrize("scale", [1, 3])
def test_each_digit_is_placed_where_it_was_drawn_even_on_a_big_photo(clf, scale):
    # 3x: 1920x960, which is read from a copy shrunk 4x; the boxes are still the drawing's pixels
    canvas = (CANVAS[0] * scale, CANVAS[1] * scale)
    drawing = write(
        [DIGIT_STROKES[4], DIGIT_STROKES[2]],
        heights=[200.0 * scale] * 2,
        gap=40 * scale,
        brush=14 * scale,
        canvas=canvas,
    )
    reading = read_drawing(drawing, clf)
    assert reading.number == "42"
    ink = np.argwhere(drawing < 128)  # (row, col) of the dark pixels
    for digit in reading.digits:
        left, top, right, bottom = digit.box
        inside = (ink[:, 1] >= left) & (ink[:, 1] < right) & (ink[:, 0] >= top) & (ink[:, 0] < bottom)
        assert inside.mean() > 0.35  # about half the ink each ...
    first, second = (d.box for d in reading.digits)
    assert first[2] <= second[0] + 4 * scale  # ... side by side
    assert 150 * scale <= first[3] - first[1] <= 230 * scale  # drawn 200 px tall (times the scale)
